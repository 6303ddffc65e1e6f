package handlers

import "testing"

func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		headers []string
		want    bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"deflate, GZIP;q=0.5"}, true},
		{[]string{"br", "x-gzip"}, true},
		{[]string{"identity"}, false},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"gzip;q=0, *"}, false},
		{[]string{"br, gzipx"}, false},
	} {
		if got := acceptsGzip(c.headers); got != c.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", c.headers, got, c.want)
		}
	}
}
