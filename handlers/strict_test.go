package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// send sends body with contentType, with the keeper's token, and returns
// the status and decoded error.
func (s *testServer) send(t *testing.T, method, path, contentType, body string) (int, apiError) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e apiError
	json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e
}

func TestStrictInput(t *testing.T) {
	s := newTestServer(t, nil)
	for _, c := range []struct {
		method, path, ctype, body string
		status                    int
		field                     string
	}{
		{"GET", "/api/actors?q=%00", "", "", 400, "q"},
		{"GET", "/api/actors.csv?q=%00", "", "", 400, "q"},
		{"GET", "/api/actors.geojson?q=%00", "", "", 400, "q"},
		{"GET", "/api/actors?q=%ff", "", "", 400, "q"},
		{"GET", "/api/actors/nearby?lat=NaN&lon=-0.46", "", "", 400, "lat"},
		{"GET", "/api/actors/nearby?lat=46.3&lon=NaN", "", "", 400, "lon"},
		{"GET", "/api/actors/nearby?lat=46.3&lon=-0.46&radius_m=NaN", "", "", 400, "radius_m"},
		{"GET", "/api/actors?bbox=NaN,46,0,47", "", "", 400, "bbox"},
		{"GET", "/api/actors.geojson?bbox=-1,46,Inf,47", "", "", 400, "bbox"},
		{"POST", "/api/actors", "application/json", `{"name": "A\u0000B", "sectors": ["culture"]}`, 400, "name"},
		{"POST", "/api/actors", "application/json", `{"name": "A", "sectors": ["culture"]} {"x": 1}`, 400, "body"},
		{"POST", "/api/actors", "application/json", `{"name": "A", "sectors": ["culture"]}garbage`, 400, "body"},
		{"POST", "/api/actors", "application/json", `{"name": "A", "name": "B", "sectors": ["culture"]}`, 400, "name"},
		{"POST", "/api/actors", "application/json", `{"name": "A", "address": {"city": "X", "city": "Y"}, "sectors": ["culture"]}`, 400, "address.city"},
		{"POST", "/api/actors", "application/json", `{"name": "A", "sectors": ["culture"], "networks": ["` + strings.Repeat("x", 100000) + `"]}`, 400, "networks"},
		{"POST", "/api/actors", "text/plain", `{"name": "A", "sectors": ["culture"]}`, 415, "Content-Type"},
		{"POST", "/api/actors", "", `{"name": "A", "sectors": ["culture"]}`, 415, "Content-Type"},
		{"POST", "/api/sectors", "application/json", `{"slug": "x", "label": "X", "position": 99999999999}`, 400, "position"},
		{"POST", "/api/sectors", "application/json", `{"slug": "y", "label": "Y", "position": -2147483649}`, 400, "position"},
		{"PATCH", "/api/sectors/autres", "application/json", `{"slug": "divers"}`, 409, "slug"},
		{"DELETE", "/api/sectors/autres", "", "", 409, "slug"},
	} {
		status, e := s.send(t, c.method, c.path, c.ctype, c.body)
		if status != c.status || e.Fields[c.field] == "" {
			t.Errorf("%s %s %.80q = %d %+v, want %d naming %s", c.method, c.path, c.body, status, e, c.status, c.field)
		}
	}
	var list actorList
	s.do(t, "GET", "/api/actors", nil, true, &list)
	if list.Total != 0 {
		t.Errorf("bad input stored %d actors: %+v", list.Total, list.Items)
	}
	// The default sector keeps working: its label may change.
	if code, e := s.send(t, "PATCH", "/api/sectors/autres", "application/json", `{"label": "Divers"}`); code != 200 {
		t.Errorf("relabel the default sector = %d %+v", code, e)
	}
}

// TestStrictInputFuzz mutates a valid actor body at random: every answer
// is a 201 or a 4xx naming a field, never a 5xx.
func TestStrictInputFuzz(t *testing.T) {
	s := newTestServer(t, nil)
	valid := `{"name": "Atelier", "sectors": ["culture"], "address": {"city": "Niort", "postcode": "79000"}, ` +
		`"networks": ["ESS"], "location": {"type": "Point", "coordinates": [-0.46, 46.32]}}`
	mutations := []func(r *rand.Rand, b string) string{
		func(r *rand.Rand, b string) string { i := r.IntN(len(b) + 1); return b[:i] + "\x00" + b[i:] },
		func(r *rand.Rand, b string) string { i := r.IntN(len(b) + 1); return b[:i] + `\u0000` + b[i:] },
		func(r *rand.Rand, b string) string { return b + []string{"x", "{}", "[", "1", " \"a\""}[r.IntN(5)] },
		func(r *rand.Rand, b string) string { return b[:r.IntN(len(b)+1)] },
		func(r *rand.Rand, b string) string {
			return strings.Replace(b, "-0.46", []string{"NaN", "1e999", "99999999999", "-0"}[r.IntN(4)], 1)
		},
		func(r *rand.Rand, b string) string {
			return strings.Replace(b, `"name"`, `"name": "`+strings.Repeat("y", r.IntN(400))+`", "name"`, 1)
		},
		func(r *rand.Rand, b string) string {
			i := r.IntN(len(b) + 1)
			return b[:i] + string(rune(r.IntN(0x250))) + b[i:]
		},
		func(r *rand.Rand, b string) string { i := r.IntN(len(b) + 1); return b[:i] + "\xff\xfe" + b[i:] },
		func(r *rand.Rand, b string) string {
			return strings.Replace(b, `["ESS"]`, `["`+strings.Repeat("t", r.IntN(300))+`"]`, 1)
		},
	}
	r := rand.New(rand.NewPCG(11, 4))
	tried, created := 0, 0
	for range 400 {
		body := valid
		for range 1 + r.IntN(3) {
			body = mutations[r.IntN(len(mutations))](r, body)
		}
		ctype := "application/json"
		if r.IntN(10) == 0 {
			ctype = []string{"text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=utf-8"}[r.IntN(4)]
		}
		status, e := s.send(t, "POST", "/api/actors", ctype, body)
		tried++
		switch {
		case status == 201:
			created++
		case status >= 400 && status < 500 && (len(e.Fields) > 0 || status == 401):
		default:
			t.Errorf("%s %.200q = %d %+v", ctype, body, status, e)
		}
	}
	t.Logf("fuzz: %d mutated bodies tried, %d accepted as valid, the rest refused with a 4xx naming a field", tried, created)
	fmt.Printf("TestStrictInputFuzz: %d cases tried\n", tried)
}

// TestOutsideFranceWarned checks that a point whose latitude and
// longitude were swapped is stored with a warning saying so, through the
// API and through an import.
func TestOutsideFranceWarned(t *testing.T) {
	s := newTestServer(t, nil)
	var out struct {
		ID       int64             `json:"id"`
		Warnings map[string]string `json:"warnings"`
	}
	s.do(t, "POST", "/api/actors", map[string]any{"name": "Inversé", "sectors": []string{"culture"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{46.32, -0.46}}}, true, &out)
	if !strings.Contains(out.Warnings["location"], "swapped") {
		t.Errorf("swapped point: warnings %v", out.Warnings)
	}
	out.Warnings = nil
	s.do(t, "POST", "/api/actors", map[string]any{"name": "Niort", "sectors": []string{"culture"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{-0.46, 46.32}}}, true, &out)
	if out.Warnings != nil {
		t.Errorf("point in France: warnings %v", out.Warnings)
	}

	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", "acteurs.csv")
	fw.Write([]byte("nom;ville;latitude;longitude\nInversé;Niort;-0,46;46,32\nBerlin;Berlin;52,5;13,4\nNiort;Niort;46,32;-0,46\n"))
	w.Close()
	req, _ := http.NewRequest("POST", s.URL+"/api/imports", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep struct {
		Warnings []struct {
			Row    int    `json:"row"`
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"warnings"`
	}
	json.NewDecoder(resp.Body).Decode(&rep)
	var rows []string
	for _, w := range rep.Warnings {
		if strings.Contains(w.Reason, "outside France") {
			rows = append(rows, fmt.Sprint(w.Row, strings.Contains(w.Reason, "swapped")))
		}
	}
	if strings.Join(rows, ",") != "2 true,3 false" {
		t.Errorf("import warnings outside France: %v (report %+v)", rows, rep)
	}
}
