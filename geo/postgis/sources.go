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
	rows, err := s.db.Pool.Query(ctx, `
		SELECT DISTINCT a.source, coalesce(s.attribution, a.source)
		FROM actors a LEFT JOIN sources s ON s.name = a.source
		WHERE a.source <> '' AND a.status = 'published'`)
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
