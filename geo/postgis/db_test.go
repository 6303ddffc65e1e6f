package postgis_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

func TestOpenUnreachable(t *testing.T) {
	tests := []struct {
		url  string
		want string
	}{
		{"host=/nonexistent/run port=5432 user=maillage dbname=maillage", "cannot connect to PostgreSQL at /nonexistent/run"},
		{"postgres://someone:s3cret@127.0.0.1:1/maillage?connect_timeout=2", "cannot connect to PostgreSQL at 127.0.0.1:1"},
		{"postgres://someone:s3cret@[bad", "invalid database URL"},
	}
	for _, tt := range tests {
		_, err := postgis.Open(context.Background(), postgis.Config{URL: tt.url})
		if err == nil {
			t.Errorf("Open(%q) succeeded", tt.url)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "s3cret") {
			t.Errorf("Open(%q) = %q; want one line containing %q, without the password", tt.url, msg, tt.want)
		}
	}
}

func TestCheckExtensions(t *testing.T) {
	db := postgistest.New(t)
	ctx := context.Background()
	if err := postgis.CheckExtensions(ctx, db.Pool, []string{"postgis", "pg_trgm", "unaccent"}); err != nil {
		t.Fatalf("required extensions: %v", err)
	}
	err := postgis.CheckExtensions(ctx, db.Pool, []string{"pg_trgm", "no_such_ext"})
	var se *postgis.SetupError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v; want a *SetupError", err)
	}
	if !strings.Contains(se.Msg, "no_such_ext") || !strings.Contains(se.Msg, `"apt-get install postgresql-15"`) || strings.Contains(se.Msg, "\n") {
		t.Errorf("message %q; want one line naming the extension and the package", se.Msg)
	}
}

func TestPing(t *testing.T) {
	db := postgistest.New(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestSecret checks that an installation secret is made once and then
// read the same by every caller, as every server on a database needs it,
// even when several ask at once.
func TestSecret(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	got := make([][]byte, 8)
	errs := make(chan error, len(got))
	for i := range got {
		go func() {
			var err error
			got[i], err = db.Secret(ctx, "test_key")
			errs <- err
		}()
	}
	for range got {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range got {
		if len(s) != 32 || string(s) != string(got[0]) {
			t.Fatalf("secret %d is %x, want 32 bytes equal to %x", i, s, got[0])
		}
	}
	other, err := db.Secret(ctx, "other_key")
	if err != nil || string(other) == string(got[0]) {
		t.Errorf("another key gives %x (%v), want a secret of its own", other, err)
	}
}
