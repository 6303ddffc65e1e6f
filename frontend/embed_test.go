package frontend

import (
	"io/fs"
	"strings"
	"testing"
)

func TestFS(t *testing.T) {
	fsys := FS()
	if _, err := fs.Stat(fsys, ".gitkeep"); err != nil {
		t.Fatalf("dist/.gitkeep is not at the root of FS: %v", err)
	}
	if !Built() {
		t.Log("frontend not built (run `make frontend`): only .gitkeep checked")
		return
	}
	index, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	page := string(index)
	for _, want := range []string{
		`<html lang="fr">`,
		`<!-- maillage-config -->`,
		`src="assets/app.js?v=`,
		`href="assets/app.css?v=`,
		`id="map"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html does not contain %q", want)
		}
	}
	if strings.Contains(page, "{{") {
		t.Error("index.html has an unreplaced {{placeholder}}")
	}
	// The workshops' pages, each with its own entry script and stylesheet.
	for shell, entry := range map[string]string{"atelier.html": "participant", "projection.html": "projection",
		"synthese.html": "record", "ateliers.html": "keeper"} {
		b, err := fs.ReadFile(fsys, shell)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, want := range []string{`<html lang="fr">`, `<!-- maillage-config -->`, `<head>` + "\n",
			`src="assets/` + entry + `.js?v=`, `href="assets/` + entry + `.css?v=`, `<title>`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s does not contain %q", shell, want)
			}
		}
		if strings.Contains(string(b), "{{") {
			t.Errorf("%s has an unreplaced {{placeholder}}", shell)
		}
	}
	for _, name := range []string{"assets/app.js", "assets/app.css", "assets/participant.js", "assets/participant.css"} {
		info, err := fs.Stat(fsys, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if info.Size() == 0 {
			t.Errorf("%s is empty", name)
		}
	}
}
