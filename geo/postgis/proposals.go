package postgis

import (
	"context"

	"github.com/maillage/maillage/geo"
)

// ProposeSectors returns the sectors the rules of geo.SectorProposer,
// made from sectors, propose for every actor, in name order.
func (s *ActorStore) ProposeSectors(ctx context.Context, sectors []geo.Sector) ([]geo.SectorProposal, error) {
	p := geo.NewSectorProposer(sectors)
	out := []geo.SectorProposal{}
	err := s.EachActor(ctx, geo.ActorFilter{}, func(a *geo.Actor) error {
		out = append(out, p.Propose(a)...)
		return nil
	})
	return out, err
}

// ApplySectorProposals gives each proposal's actor its sector, after its
// other sectors (its primary sector stays), and returns how many actors
// gained a sector they did not have.
func (s *ActorStore) ApplySectorProposals(ctx context.Context, ps []geo.SectorProposal) (int, error) {
	ids := make([]int64, len(ps))
	slugs := make([]string, len(ps))
	for i, p := range ps {
		ids[i], slugs[i] = p.ActorID, p.Sector
	}
	tag, err := s.db.Pool.Exec(ctx, `
		INSERT INTO actor_sectors (actor_id, sector_slug)
		SELECT p.actor_id, p.sector_slug
		FROM unnest($1::bigint[], $2::text[]) AS p(actor_id, sector_slug)
		JOIN actors a ON a.id = p.actor_id JOIN sectors s ON s.slug = p.sector_slug
		ON CONFLICT DO NOTHING`, ids, slugs)
	if err != nil {
		return 0, mapError(err, "sector proposals")
	}
	return int(tag.RowsAffected()), nil
}
