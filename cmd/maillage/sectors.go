package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// sectorsCmd runs "maillage sectors propose [--apply]": it counts, by
// sector, the sectors the rules propose from the actors' NAF codes, names
// and descriptions, and with --apply gives them to the actors.
func sectorsCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) < 1 || args[0] != "propose" {
		return usagef("sectors: the command is \"sectors propose [--apply]\"")
	}
	fs := flag.NewFlagSet("sectors propose", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	apply := fs.Bool("apply", false, "give the actors the proposed sectors")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("sectors propose: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("sectors propose takes no arguments")
	}
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	sectors, err := a.sectors.FindSectors(ctx)
	if err != nil {
		return err
	}
	ps, err := a.actors.ProposeSectors(ctx, sectors)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, p := range ps {
		counts[p.Sector]++
	}
	fmt.Fprintf(stdout, "%d sectors proposed: %s\n", len(ps), formatCounts(counts))
	if !*apply {
		return nil
	}
	n, err := a.actors.ApplySectorProposals(ctx, ps)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d given\n", n)
	return nil
}
