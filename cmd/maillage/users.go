package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
)

// userCmd manages accounts: create one (printing the one-time link that
// sets its password), give a new link (forgotten password), list them.
func userCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("user: create EMAIL --role ROLE, reset EMAIL or list")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", geo.AccountKeeper, "")
	var email string
	switch sub {
	case "create", "reset":
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return usagef("user %s takes an EMAIL", sub)
		}
		email = rest[0]
		if sub == "reset" && len(rest) != 1 {
			return usagef("user reset takes one EMAIL")
		}
		if err := fs.Parse(rest[1:]); err != nil || fs.NArg() != 0 {
			return usagef("user create EMAIL [--role %s]", strings.Join(geo.Roles, "|"))
		}
	case "list":
		if len(rest) != 0 {
			return usagef("user list takes no arguments")
		}
	default:
		return usagef("user: unknown subcommand %q", sub)
	}
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	users := postgis.NewUserStore(a.db)
	switch sub {
	case "create":
		u, link, err := users.CreateUser(ctx, email, *role)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (%s): set the password within 48 hours at\n%s\n", u.Email, u.Role, linkURL(cfg, link))
	case "reset":
		u, link, err := users.IssuePasswordLink(ctx, email)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: set a new password within 48 hours at\n%s\n", u.Email, linkURL(cfg, link))
	case "list":
		us, err := users.FindUsers(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			state := "password set"
			if !u.HasPassword {
				state = "no password yet"
			}
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, state)
		}
	}
	return nil
}

// linkURL is the address of a one-time password link: on
// MAILLAGE_PUBLIC_URL, else on the local server's address.
func linkURL(cfg config, link string) string {
	base := "http://localhost:8080"
	if cfg.PublicURL != nil {
		base = strings.TrimSuffix(cfg.PublicURL.String(), "/")
	} else if _, port, err := net.SplitHostPort(cfg.Addr); err == nil {
		base = "http://localhost:" + port
	}
	return base + handlers.PasswordLinkPath + link
}
