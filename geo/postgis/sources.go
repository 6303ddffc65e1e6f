package postgis

import (
	"context"
	"strings"
)

// setAttribution records the attribution text required by the licence of
// source, replacing any previous one.
func setAttribution(ctx context.Context, q querier, source, attribution string) error {
	source, attribution = strings.TrimSpace(source), strings.TrimSpace(attribution)
	if source == "" || attribution == "" {
		return nil
	}
	_, err := q.Exec(ctx, `
		INSERT INTO sources (name, attribution) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET attribution = excluded.attribution`, source, attribution)
	return err
}

// Attributions returns the attribution of every source of published
// actors, by source name. A source imported without one is named as is.
func (s *ActorStore) Attributions(ctx context.Context) (map[string]string, error) {
	// The distinct sources, each found by one step in the index
	// actors_published_source (a loose index scan): a handful of lookups
	// where DISTINCT would read every actor.
	rows, err := s.db.Pool.Query(ctx, `
		WITH RECURSIVE src(name) AS (
			(SELECT a.source FROM actors a WHERE a.status = 'published' AND a.source > '' ORDER BY a.source LIMIT 1)
			UNION ALL
			SELECT (SELECT a.source FROM actors a WHERE a.status = 'published' AND a.source > src.name ORDER BY a.source LIMIT 1)
			FROM src WHERE src.name IS NOT NULL
		)
		SELECT src.name, coalesce(s.attribution, src.name)
		FROM src LEFT JOIN sources s ON s.name = src.name
		WHERE src.name IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var name, attr string
		if err := rows.Scan(&name, &attr); err != nil {
			return nil, err
		}
		out[name] = attr
	}
	return out, rows.Err()
}
