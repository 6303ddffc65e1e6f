package actorfile

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// TestSectorsFixture checks that the sectors the parse tests use are those
// the migrations seed in a fresh database (go test -update rewrites them).
func TestSectorsFixture(t *testing.T) {
	sectors, err := postgis.NewSectorStore(postgistest.New(t)).FindSectors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(sectors, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(sectorsFixture, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(sectorsFixture)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the sectors the migrations seed; run go test -run TestSectorsFixture -update and review the diff.\ngot:\n%s", sectorsFixture, got)
	}
}
