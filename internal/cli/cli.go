// Package cli holds what the project's commands share: how they run, stop
// and exit, their usage errors, and how they read the environment.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/pgcluster"
)

// Run is a whole command: Main only supplies the process's arguments,
// environment and streams, so tests can call it directly.
type Run func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main runs run until it returns or the process is asked to stop (SIGINT,
// SIGTERM), then exits the way a command should: 0 on success; 2 after a
// usage error, printing usage; 1 after any other error. A machine problem
// (PostgreSQL or PostGIS missing) prints its own one-line advice without
// the context it was wrapped in.
func Main(name, usage string, run Run) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, name+":", message(err))
	if _, ok := errors.AsType[*UsageError](err); ok {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	os.Exit(1)
}

// message is what Main prints of err.
func message(err error) string {
	if e, ok := errors.AsType[*pgcluster.SetupError](err); ok {
		return e.Msg
	}
	if e, ok := errors.AsType[*postgis.SetupError](err); ok {
		return e.Msg
	}
	if e, ok := errors.AsType[*UsageError](err); ok {
		return e.Msg
	}
	return err.Error()
}

// UsageError is a mistake in the command line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Env returns a reader of getenv: the variable's value without surrounding
// spaces, or fallback when it is unset or blank.
func Env(getenv func(string) string) func(name, fallback string) string {
	return func(name, fallback string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return fallback
	}
}
