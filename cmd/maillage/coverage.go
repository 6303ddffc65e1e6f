package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/maillage/maillage/geo/postgis"
)

// coverageCmd runs "maillage coverage refresh": it brings the stored
// coverage up to date now, as a server does in the background, waiting
// for a server that is doing it.
func coverageCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	all := len(args) == 2 && args[1] == "--all"
	if len(args) == 0 || args[0] != "refresh" || len(args) > 1 && !all {
		return usagef("coverage refresh [--all]")
	}
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	if all {
		if _, err := a.db.Pool.Exec(ctx, `INSERT INTO coverage_dirty VALUES ('*') ON CONFLICT DO NOTHING`); err != nil {
			return err
		}
	}
	res, err := postgis.NewCoverageStore(a.db).RefreshCoverageWait(ctx, 2)
	if err != nil {
		return err
	}
	if len(res.Sectors) == 0 {
		fmt.Fprintln(stdout, "the stored coverage is up to date")
		return nil
	}
	names := make([]string, len(res.Sectors))
	for i, s := range res.Sectors {
		names[i] = s
		if s == "" {
			names[i] = "(actors with no sector)"
		}
	}
	fmt.Fprintf(stdout, "coverage computed in %.1f s (nearest actors %.1f s, counts %.1f s): %s\n",
		res.Took.Seconds(), res.Nearest.Seconds(), res.Counts.Seconds(), strings.Join(names, ", "))
	return nil
}
