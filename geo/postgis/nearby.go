package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// NearbySQL finds the nearest published actors by a KNN scan of the GiST
// index actors_location_geography: ORDER BY <-> walks the index nearest
// first and stops at the limit, and ST_DWithin bounds the walk when few
// actors are within the radius. Distances are on the sphere, in metres.
const NearbySQL = `
	SELECT ` + actorColumns + `,
		a.location::geography <-> ST_Point(@lon, @lat, 4326)::geography AS distance_m
	FROM actors a
	WHERE a.status = 'published'
		AND ST_DWithin(a.location::geography, ST_Point(@lon, @lat, 4326)::geography, @radius, false)
		AND (@sectors::text[] IS NULL OR EXISTS (
			SELECT 1 FROM actor_sectors s WHERE s.actor_id = a.id AND s.sector_slug = ANY(@sectors)))
	ORDER BY a.location::geography <-> ST_Point(@lon, @lat, 4326)::geography
	LIMIT @limit`

// NearbyArgs are the arguments of NearbySQL for q.
func NearbyArgs(q geo.NearbyQuery) pgx.NamedArgs {
	args := pgx.NamedArgs{"lon": q.Point.Lon, "lat": q.Point.Lat, "radius": q.RadiusM,
		"limit": q.Limit, "sectors": nil}
	if len(q.Sectors) > 0 {
		args["sectors"] = q.Sectors
	}
	return args
}

type nearRow struct {
	actorRow
	DistanceM float64 `db:"distance_m"`
}

// NearbyActors returns the published actors nearest to q.Point within
// q.RadiusM, nearest first, with their distances.
func (s *ActorStore) NearbyActors(ctx context.Context, q geo.NearbyQuery) ([]geo.NearActor, error) {
	rows, _ := s.db.Pool.Query(ctx, NearbySQL, NearbyArgs(q))
	found, err := pgx.CollectRows(rows, pgx.RowToStructByName[nearRow])
	if err != nil {
		return nil, err
	}
	out := make([]geo.NearActor, len(found))
	for i, r := range found {
		out[i] = geo.NearActor{Actor: r.actor(), DistanceM: r.DistanceM}
	}
	return out, nil
}
