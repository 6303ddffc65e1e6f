package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// SectorStore keeps the sector taxonomy in PostGIS.
type SectorStore struct {
	db *DB
}

// NewSectorStore returns a store of sectors on db.
func NewSectorStore(db *DB) *SectorStore {
	return &SectorStore{db: db}
}

// FindSectors returns every sector in legend order.
func (s *SectorStore) FindSectors(ctx context.Context) ([]geo.Sector, error) {
	rows, _ := s.db.Pool.Query(ctx, `
		SELECT slug, label, color, icon, synonyms, position
		FROM sectors
		ORDER BY position, slug`)
	return pgx.CollectRows(rows, pgx.RowToStructByName[geo.Sector])
}

// FindSector returns the sector with that slug, or ENotFound.
func (s *SectorStore) FindSector(ctx context.Context, slug string) (*geo.Sector, error) {
	rows, _ := s.db.Pool.Query(ctx, `
		SELECT slug, label, color, icon, synonyms, position
		FROM sectors
		WHERE slug = $1`, slug)
	sec, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[geo.Sector])
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("sector %q", slug))
	}
	return &sec, nil
}

// CreateSector validates and stores sec. Returns EInvalid or EConflict if
// the slug is taken.
func (s *SectorStore) CreateSector(ctx context.Context, sec *geo.Sector) error {
	sec.Synonyms = foldAll(sec.Synonyms)
	if err := sec.Validate(); err != nil {
		return err
	}
	_, err := s.db.Pool.Exec(ctx, `
		INSERT INTO sectors (slug, label, color, icon, synonyms, position)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		sec.Slug, sec.Label, sec.Color, sec.Icon, sec.Synonyms, sec.Position)
	return mapError(err, fmt.Sprintf("sector %q", sec.Slug))
}

// UpdateSector applies upd to the sector slug; renaming the slug carries
// its actors along. Returns ENotFound, EInvalid or EConflict.
func (s *SectorStore) UpdateSector(ctx context.Context, slug string, upd geo.SectorUpdate) (*geo.Sector, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, _ := tx.Query(ctx, `
		SELECT slug, label, color, icon, synonyms, position
		FROM sectors WHERE slug = $1 FOR UPDATE`, slug)
	sec, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[geo.Sector])
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("sector %q", slug))
	}
	upd.Apply(&sec)
	sec.Synonyms = foldAll(sec.Synonyms)
	if err := sec.Validate(); err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `
		UPDATE sectors SET (slug, label, color, icon, synonyms, position) = ($2, $3, $4, $5, $6, $7)
		WHERE slug = $1`, slug, sec.Slug, sec.Label, sec.Color, sec.Icon, sec.Synonyms, sec.Position)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("sector %q", sec.Slug))
	}
	return &sec, tx.Commit(ctx)
}

// DeleteSector removes the sector slug. Returns ENotFound, or EConflict
// while actors still belong to it.
func (s *SectorStore) DeleteSector(ctx context.Context, slug string) error {
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM sectors WHERE slug = $1`, slug)
	if err != nil {
		return mapError(err, fmt.Sprintf("sector %q", slug))
	}
	if tag.RowsAffected() == 0 {
		return geo.Errorf(geo.ENotFound, "sector %q not found", slug)
	}
	return nil
}

func foldAll(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if f := geo.Fold(v); f != "" {
			out = append(out, f)
		}
	}
	return out
}
