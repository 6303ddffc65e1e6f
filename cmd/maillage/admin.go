package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/internal/pgcluster"
)

// tokenCmd creates, revokes and lists the API tokens of keepers. A new
// token is printed once; only its hash is stored.
func tokenCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("token: create NAME, revoke NAME or list")
	}
	sub, rest := args[0], args[1:]
	role := geo.AccountKeeper
	if sub == "create" && len(rest) == 3 && (rest[1] == "--role" || rest[1] == "-role") {
		role, rest = rest[2], rest[:1]
	}
	switch {
	case (sub == "create" || sub == "revoke") && len(rest) != 1:
		return usagef("token %s takes one NAME", sub)
	case sub == "list" && len(rest) != 0:
		return usagef("token list takes no arguments")
	case sub != "create" && sub != "revoke" && sub != "list":
		return usagef("token: unknown subcommand %q", sub)
	}
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	switch sub {
	case "create":
		token, err := a.tokens.CreateRoleToken(ctx, rest[0], role)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		if isTerminal(stdout) {
			fmt.Fprintln(os.Stderr, "Keep this token now: it cannot be shown again. Send it as \"Authorization: Bearer <token>\".")
		}
	case "revoke":
		if err := a.tokens.RevokeToken(ctx, rest[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %q revoked\n", rest[0])
	case "list":
		tokens, err := a.tokens.FindTokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range tokens {
			last := "never used"
			if t.LastUsedAt != nil {
				last = "last used " + t.LastUsedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(stdout, "%s\t%s\tcreated %s\t%s\n", t.Name, t.Role, t.CreatedAt.Format("2006-01-02"), last)
		}
	}
	return nil
}

// migrateCmd applies the migrations not yet applied and names them.
func migrateCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("migrate takes no arguments")
	}
	db, closeDB, err := openDB(ctx, cfg, logger, false, false)
	if err != nil {
		return err
	}
	defer closeDB()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if err := ensureAppRole(ctx, cfg, db); err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "the schema is up to date")
	}
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	return nil
}

// dbCmd manages the private PostgreSQL cluster.
func dbCmd(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("db", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if len(args) == 0 || args[0] != "stop" {
		return usagef("db: the only subcommand is stop")
	}
	test := fs.Bool("test", false, "stop the test suite's cluster instead")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("db stop: %v", err)
	}
	dir := cfg.DataDir
	if *test {
		dir = pgcluster.TestDataDir(os.Getenv)
	}
	if _, err := os.Stat(filepath.Join(dir, "postgres")); err != nil {
		fmt.Fprintln(stdout, "no cluster in", dir)
		return nil
	}
	if err := pgcluster.Stop(dir, cfg.PGBinDir); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped the cluster in", dir)
	return nil
}
