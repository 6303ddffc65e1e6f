package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/tiles"
)

// benchPlaces are the fixed places whose tiles are measured: large cities,
// middle towns and rural préfectures.
var benchPlaces = []struct {
	name string
	pt   geo.Point
}{
	{"Paris", geo.Point{Lon: 2.3522, Lat: 48.8566}}, {"Lyon", geo.Point{Lon: 4.8357, Lat: 45.7640}},
	{"Marseille", geo.Point{Lon: 5.3698, Lat: 43.2965}}, {"Toulouse", geo.Point{Lon: 1.4442, Lat: 43.6047}},
	{"Lille", geo.Point{Lon: 3.0573, Lat: 50.6292}}, {"Bordeaux", geo.Point{Lon: -0.5792, Lat: 44.8378}},
	{"Nantes", geo.Point{Lon: -1.5536, Lat: 47.2184}}, {"Strasbourg", geo.Point{Lon: 7.7521, Lat: 48.5734}},
	{"Rennes", geo.Point{Lon: -1.6778, Lat: 48.1173}}, {"Niort", geo.Point{Lon: -0.4594, Lat: 46.3237}},
	{"Brest", geo.Point{Lon: -4.4861, Lat: 48.3904}}, {"Clermont-Ferrand", geo.Point{Lon: 3.0870, Lat: 45.7772}},
	{"Dijon", geo.Point{Lon: 5.0415, Lat: 47.3220}}, {"Limoges", geo.Point{Lon: 1.2611, Lat: 45.8336}},
	{"Gap", geo.Point{Lon: 6.0794, Lat: 44.5594}}, {"Aurillac", geo.Point{Lon: 2.4449, Lat: 44.9264}},
	{"Guéret", geo.Point{Lon: 1.8717, Lat: 46.1714}}, {"Mende", geo.Point{Lon: 3.4997, Lat: 44.5181}},
}

// benchZooms are the measured zooms: those of the issue (5, 8, 11, 14),
// those of the pg_tileserv figures (6, 10), the zooms of density-aware
// actor tiles (12 to 14) and the first whose tiles show every actor (15).
var benchZooms = []int{5, 6, 8, 10, 11, 12, 13, 14, 15}

// benchTiles returns the fixed list of tiles of zoom z: the tile of each
// bench place and its 8 neighbours.
func benchTiles(z int) []tiles.Tile {
	var out []tiles.Tile
	n := 1 << z
	for _, p := range benchPlaces {
		c := tiles.Containing(p.pt, z)
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				t := tiles.Tile{Z: z, X: c.X + dx, Y: c.Y + dy}
				if t.X >= 0 && t.Y >= 0 && t.X < n && t.Y < n && !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

// measureCmd measures tiles and nearby search on the real SIAE list and on
// a synthetic national set, each in a database of its own on the same
// server (kept between runs), and prints the figures as Markdown.
func measureCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", cfg.DemoDir, "folder of the shared data")
	n := fs.Int("actors", 1_500_000, "actors of the synthetic set")
	seed := fs.Uint64("seed", 1, "seed of the synthetic set")
	dur := fs.Duration("duration", 2*time.Second, "time of each measure")
	clients := fs.Int("clients", 4, "concurrent clients")
	sets := fs.String("sets", "siae,synthetic", "data sets to measure")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *data == "" {
		return usagef("measure --data DIR [--actors N] [--seed S] [--duration 2s] [--clients 4] [--sets siae,synthetic]")
	}
	app, closeDB, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	fmt.Fprintf(stdout, "maillage-bench measure: %d clients, %s per measure, cluster zooms below %d, %s\n",
		*clients, *dur, cfg.TileActorZoom, time.Now().UTC().Format("2006-01-02"))
	for _, set := range strings.Split(*sets, ",") {
		var name, label string
		var load func(context.Context, *postgis.DB) error
		switch set {
		case "siae":
			name, label = "maillage_bench_siae", "SIAE of France (siae-france.geojson)"
			load = func(ctx context.Context, db *postgis.DB) error {
				return loadSIAE(ctx, db, filepath.Join(*data, "actors", "siae-france.geojson"))
			}
		case "synthetic":
			name = fmt.Sprintf("maillage_bench_synthetic_%d_%d", *n, *seed)
			label = fmt.Sprintf("synthetic national set, %d actors, seed %d", *n, *seed)
			load = func(ctx context.Context, db *postgis.DB) error {
				_, err := generateActors(ctx, postgis.NewActorStore(db), *data, *n, *seed)
				return err
			}
		default:
			return usagef("measure: unknown data set %q", set)
		}
		db, err := benchDatabase(ctx, app, name, load, logger, stdout)
		if err != nil {
			return fmt.Errorf("%s: %w", set, err)
		}
		err = benchSet(ctx, db, cfg, label, *clients, *dur, stdout)
		db.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", set, err)
		}
	}
	return nil
}

// loadSIAE imports the SIAE list at path as the server's importer does.
func loadSIAE(ctx context.Context, db *postgis.DB, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	imp := &actorfile.Importer{Store: postgis.NewActorStore(db), Sectors: postgis.NewSectorStore(db),
		DefaultSector: "autres"}
	_, err = imp.Import(ctx, f, path, actorfile.Options{Sector: "insertion", Source: "ASP",
		Attribution: "Liste des SIAE (ASP / Ministère du Travail)"}, nil)
	return err
}

// benchStats are the figures of one measure.
type benchStats struct {
	count   int
	elapsed time.Duration
	p50     time.Duration
	p99     time.Duration
	largest int
}

func (s benchStats) rate() float64 { return float64(s.count) / s.elapsed.Seconds() }

// measure runs do from clients goroutines for d, over jobs indexes in
// turn, and returns the rate, latencies and largest size do reported.
func measure(ctx context.Context, clients int, d time.Duration, jobs int, do func(ctx context.Context, i int) (int, error)) (benchStats, error) {
	var next atomic.Int64
	var mu sync.Mutex
	var lats []time.Duration
	var firstErr error
	largest := 0
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			big := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				i := int(next.Add(1)-1) % jobs
				t0 := time.Now()
				size, err := do(ctx, i)
				if err != nil {
					mu.Lock()
					firstErr = firstOf(firstErr, err)
					mu.Unlock()
					cancel()
					return
				}
				mine = append(mine, time.Since(t0))
				big = max(big, size)
			}
			mu.Lock()
			lats = append(lats, mine...)
			largest = max(largest, big)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return benchStats{}, firstErr
	}
	slices.Sort(lats)
	pct := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(len(lats)-1, int(float64(len(lats))*p))]
	}
	return benchStats{count: len(lats), elapsed: elapsed, p50: pct(0.50), p99: pct(0.99), largest: largest}, nil
}

func firstOf(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// tileservSQL is the tile pg_tileserv makes of a point table (its
// layer_table.go): every point of the buffered envelope through
// ST_AsMVTGeom, one layer, no clustering, with our features' properties,
// extent and buffer, on the stored web-mercator column (pg_tileserv would
// transform a 4326 column, which is slower). A baseline measured in the
// same run, on the same tiles and with the tile pool's session settings
// (tileservPool), as the figures the issue quotes for pg_tileserv are
// not ours. Not below tileservMinZoom, whose
// tiles hold up to 66 MB and take 20 to 40 s each at 1.5 M actors.
var tileservSQL = strings.NewReplacer("{extent}", strconv.Itoa(tiles.Extent), "{buffer}", strconv.Itoa(tiles.Buffer)).
	Replace(`
	SELECT ST_AsMVT(t, 'actors', {extent}, 'geom') FROM (
		SELECT ST_AsMVTGeom(a.location_3857, ST_TileEnvelope($1, $2, $3), {extent}, {buffer}, true) AS geom,
			a.id, a.name, s.sector_slug AS sector, NULLIF(a.kind, '') AS kind
		FROM actors a JOIN actor_sectors s ON s.actor_id = a.id
		WHERE a.status = 'published'
			AND ST_Intersects(a.location_3857, ST_TileEnvelope($1, $2, $3, margin => {buffer}.0 / {extent}))
	) t WHERE geom IS NOT NULL`)

const tileservMinZoom = 6

// tileservPool returns a pool on db whose sessions have the settings of
// the tile store's (postgis.NewTileStore): no parallel workers, no JIT.
func tileservPool(ctx context.Context, db *postgis.DB, maxConns int32) (*pgxpool.Pool, error) {
	cfg := db.Pool.Config().Copy()
	cfg.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"] = "0"
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	cfg.MaxConns = maxConns
	return pgxpool.NewWithConfig(ctx, cfg)
}

// tileList is a list of tiles measured together.
type tileList struct {
	name  string // "14, city", "14, uniform"
	z     int
	tiles []tiles.Tile
}

// uniformZooms are the zooms also measured on tiles where actors are,
// drawn uniformly: the first zoom of single actors and the densest
// measured zoom.
var uniformZooms = []int{12, 14}

// uniformTiles is the number of tiles of the uniform lists: drawn
// uniformly among the tiles that hold published actors, wherever they are
// (a rural tile as likely as a city one).
const uniformTiles = 200

// benchLists returns the lists measured on db: for each of benchZooms the
// tiles of the bench places, and for each of uniformZooms uniformTiles
// tiles drawn uniformly among those that hold actors, the same on every
// run.
func benchLists(ctx context.Context, db *postgis.DB) ([]tileList, error) {
	var lists []tileList
	for _, z := range benchZooms {
		lists = append(lists, tileList{name: fmt.Sprintf("%d, city", z), z: z, tiles: benchTiles(z)})
	}
	for _, z := range uniformZooms {
		// A cell of the cluster grid of zoom z - GridBits is the tile of
		// zoom z it covers.
		rows, _ := db.Pool.Query(ctx, `
			SELECT x, y FROM (
				SELECT DISTINCT tx * $2 + cx AS x, ty * $2 + cy AS y FROM tile_clusters WHERE z = $1 AND n > 0) c
			ORDER BY md5(x || '/' || y) LIMIT $3`, z-tiles.GridBits, tiles.GridSize, uniformTiles)
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tiles.Tile, error) {
			t := tiles.Tile{Z: z}
			err := r.Scan(&t.X, &t.Y)
			return t, err
		})
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			lists = append(lists, tileList{name: fmt.Sprintf("%d, uniform", z), z: z, tiles: list})
		}
	}
	slices.SortStableFunc(lists, func(a, b tileList) int { return a.z - b.z })
	return lists, nil
}

// findList returns the list named name, if measured.
func findList(lists []tileList, name string) (tileList, bool) {
	i := slices.IndexFunc(lists, func(l tileList) bool { return l.name == name })
	if i < 0 {
		return tileList{}, false
	}
	return lists[i], true
}

// benchSet measures one data set: for each tile list, the bytes on the
// wire, the tiles straight from the tile store (its SQL on its pool,
// without HTTP), then through HTTP without and with the tile cache, then
// the pg_tileserv-style baseline; then, in the same run, the tile server
// as it was before (a cold pool planning every tile, no gzip) against the
// present one, freshly started and warmed, gzip on and off; generic
// against custom plans; then nearby searches.
func benchSet(ctx context.Context, db *postgis.DB, cfg config, label string, clients int, d time.Duration, stdout io.Writer) error {
	var actors int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM actors WHERE status = 'published' AND location IS NOT NULL`).Scan(&actors); err != nil {
		return err
	}
	lists, err := benchLists(ctx, db)
	if err != nil {
		return err
	}
	store, err := postgis.NewTileStore(ctx, db, int32(clients))
	if err != nil {
		return err
	}
	defer store.Close()
	baseline, err := tileservPool(ctx, db, int32(clients))
	if err != nil {
		return err
	}
	defer baseline.Close()
	uncached, cached := tiles.NewCache(0), tiles.NewCache(512<<20)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	ready := make(chan struct{})
	var once sync.Once
	go store.WatchTiles(watchCtx, time.Second, func(v int64, ok bool) {
		uncached.SetVersion(v, ok)
		cached.SetVersion(v, ok)
		once.Do(func() { close(ready) })
	})
	<-ready

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	actorStore := postgis.NewActorStore(db)
	// newServer starts an HTTP server of tiles from ts, with cache (nil:
	// none) and gzip on or off.
	newServer := func(ts *postgis.TileStore, cache *tiles.Cache, gzip bool) (string, func(), error) {
		opts := handlers.DefaultOptions()
		opts.TileActorZoom, opts.TileGzip = cfg.TileActorZoom, gzip
		h := handlers.NewServer(logger, handlers.Deps{Actors: actorStore, Sectors: postgis.NewSectorStore(db),
			DB: db, Tiles: ts, TileCache: cache, Nearby: actorStore}, opts)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		srv := h.HTTPServer(ln.Addr().String())
		go srv.Serve(ln)
		return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
	}
	uncachedURL, stop1, err := newServer(store, uncached, true)
	if err != nil {
		return err
	}
	defer stop1()
	cachedURL, stop2, err := newServer(store, cached, true)
	if err != nil {
		return err
	}
	defer stop2()
	// Keep-alive connections for every client, so that no measure pays
	// for TCP connections; bodies counted as sent, gzipped or not.
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 4, MaxIdleConnsPerHost: clients * 2,
		DisableCompression: true}}
	get := func(ctx context.Context, url string, gzip bool) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if gzip {
			req.Header.Set("Accept-Encoding", "gzip") // as browsers and GDAL do
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 && resp.StatusCode != 204 {
			return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return int(n), err
	}
	httpTile := func(base string, list []tiles.Tile, gzip bool) func(context.Context, int) (int, error) {
		return func(ctx context.Context, i int) (int, error) {
			t := list[i]
			return get(ctx, fmt.Sprintf("%s/tiles/actors/%d/%d/%d.mvt", base, t.Z, t.X, t.Y), gzip)
		}
	}

	fmt.Fprintf(stdout, "\n### %s: %d published located actors\n\n", label, actors)
	fmt.Fprintln(stdout, "Tiles of the bench places (city) or drawn uniformly among those where actors are (uniform); sizes as sent, mean and largest; HTTP clients accept gzip.")
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "| zoom, tiles | tiles | mean raw / gzip | largest raw / gzip | SQL tiles/s | SQL p50 / p99 | uncached tiles/s | uncached p50 / p99 | cached tiles/s | cached p50 / p99 | pg_tileserv-style SQL tiles/s | its p50 / p99 | its largest | uncached / pg_tileserv-style |")
	fmt.Fprintln(stdout, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	type wire struct{ raw, gz, largestRaw, largestGz int }
	wires := map[string]wire{}
	for _, l := range lists {
		list := l.tiles
		sql := func(ctx context.Context, i int) (int, error) {
			mvt, _, err := store.Tile(ctx, list[i], nil, cfg.TileActorZoom)
			return len(mvt), err
		}
		// One pass raw, then one gzipped, first, so that every measure
		// finds PostgreSQL's buffers warm and the cache full.
		var w wire
		for i := range list {
			raw, err := httpTile(cachedURL, list, false)(ctx, i)
			if err != nil {
				return err
			}
			gz, err := httpTile(cachedURL, list, true)(ctx, i)
			if err != nil {
				return err
			}
			w.raw, w.gz = w.raw+raw, w.gz+gz
			w.largestRaw, w.largestGz = max(w.largestRaw, raw), max(w.largestGz, gz)
		}
		wires[l.name] = w
		s, err := measure(ctx, clients, d, len(list), sql)
		if err != nil {
			return err
		}
		u, err := measure(ctx, clients, d, len(list), httpTile(uncachedURL, list, true))
		if err != nil {
			return err
		}
		c, err := measure(ctx, clients, d, len(list), httpTile(cachedURL, list, true))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "| %s | %d | %s / %s | %s / %s | %.0f | %s / %s | %.0f | %s / %s | %.0f | %s / %s |",
			l.name, len(list), kb(w.raw/len(list)), kb(w.gz/len(list)), kb(w.largestRaw), kb(w.largestGz),
			s.rate(), ms(s.p50), ms(s.p99), u.rate(), ms(u.p50), ms(u.p99), c.rate(), ms(c.p50), ms(c.p99))
		if l.z < tileservMinZoom {
			fmt.Fprintln(stdout, " not measured | | | |")
			continue
		}
		b, err := measure(ctx, clients, d, len(list), func(ctx context.Context, i int) (int, error) {
			t := list[i]
			var mvt []byte
			err := baseline.QueryRow(ctx, tileservSQL, t.Z, t.X, t.Y).Scan(&mvt)
			return len(mvt), err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, " %.1f | %s / %s | %s | %.2fx |\n", b.rate(), ms(b.p50), ms(b.p99), kb(b.largest), u.rate()/b.rate())
	}

	if err := compareDensity(ctx, db, lists, clients, d, newServer, httpTile, stdout); err != nil {
		return err
	}
	if err := compareServers(ctx, db, lists, clients, d, newServer, httpTile, stdout); err != nil {
		return err
	}
	if err := comparePlans(ctx, db, cfg, lists, clients, d, stdout); err != nil {
		return err
	}

	// The ceiling of any request here: GET /healthz, through the same
	// middleware, server and client, with no tile and no database. Cached
	// tiles cannot go faster.
	floor, err := measure(ctx, clients, d, 1, func(ctx context.Context, _ int) (int, error) {
		return get(ctx, cachedURL+"/healthz", true)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nHTTP ceiling (GET /healthz, same server and clients): %.0f/s, p50 %s, p99 %s\n", floor.rate(), ms(floor.p50), ms(floor.p99))

	nearbyOn := func(base string) func(context.Context, int) (int, error) {
		return func(ctx context.Context, i int) (int, error) {
			p := benchPlaces[i%len(benchPlaces)].pt
			// A point within about 5 km of the place, the same for the same i.
			dx, dy := float64(i%7-3)*0.02, float64(i%5-2)*0.02
			return get(ctx, fmt.Sprintf("%s/api/actors/nearby?lat=%.5f&lon=%.5f&limit=10", base, p.Lat+dy, p.Lon+dx), true)
		}
	}
	// The first pass over the points of a freshly opened pool, warmed as
	// the server's (first, while the pages the searches read are cold) or
	// not (then, on warm pages): each connection's first geography
	// statement costs 100-300 ms.
	points := len(benchPlaces) * 35
	firstPass := map[bool]float64{}
	for _, warm := range []bool{true, false} {
		fresh, err := postgis.Open(ctx, postgis.Config{URL: db.Pool.Config().ConnString(), NoMigrate: true, Warm: warm})
		if err != nil {
			return err
		}
		st := postgis.NewActorStore(fresh)
		h := handlers.NewServer(logger, handlers.Deps{Actors: st, Sectors: postgis.NewSectorStore(fresh), DB: fresh,
			Tiles: store, Nearby: st}, handlers.DefaultOptions())
		srv := httptest.NewServer(h)
		start := time.Now()
		_, err = passAll(ctx, clients, points, nearbyOn(srv.URL))
		firstPass[warm] = float64(points) / time.Since(start).Seconds()
		srv.Close()
		fresh.Close()
		if err != nil {
			return err
		}
	}
	nb, err := measure(ctx, clients, d, points, nearbyOn(uncachedURL))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nnearby (limit 10, within 50 km, through HTTP): %.0f/s, p50 %s, p99 %s; the first pass over its %d points on a fresh pool: %.0f/s warmed at start (pages cold), %.0f/s not warmed (pages warm)\n",
		nb.rate(), ms(nb.p50), ms(nb.p99), points, firstPass[true], firstPass[false])
	if n, size := cached.Len(); n > 0 {
		fmt.Fprintf(stdout, "tile cache after the run: %d tiles, %s\n", n, kb(int(size)))
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	return nil
}

// compareDensity measures, on each list of actor tiles (zoom 12 on),
// uncached HTTP tiles with the density threshold off (every actor a
// feature, postgis.TilePool{EveryActor: true}) and on (the server's): the
// bytes sent, raw and gzipped, mean and largest, tiles/s and p50 / p99.
func compareDensity(ctx context.Context, db *postgis.DB, lists []tileList, clients int, d time.Duration,
	newServer func(*postgis.TileStore, *tiles.Cache, bool) (string, func(), error),
	httpTile func(string, []tiles.Tile, bool) func(context.Context, int) (int, error), stdout io.Writer) error {
	type side struct {
		rawSum, gzSum, rawMax, gzMax int
		stats                        benchStats
	}
	// run measures list l on a fresh tile store, threshold off or on.
	run := func(l tileList, everyActor bool) (side, error) {
		var out side
		ts, err := postgis.NewTileStoreWith(ctx, db, postgis.TilePool{MaxConns: int32(clients), EveryActor: everyActor})
		if err != nil {
			return out, err
		}
		defer ts.Close()
		url, stop, err := newServer(ts, nil, true)
		if err != nil {
			return out, err
		}
		defer stop()
		var mu sync.Mutex
		for _, gzip := range []bool{false, true} {
			get := httpTile(url, l.tiles, gzip)
			if _, err := passAll(ctx, clients, len(l.tiles), func(ctx context.Context, i int) (int, error) {
				n, err := get(ctx, i)
				mu.Lock()
				defer mu.Unlock()
				if gzip {
					out.gzSum, out.gzMax = out.gzSum+n, max(out.gzMax, n)
				} else {
					out.rawSum, out.rawMax = out.rawSum+n, max(out.rawMax, n)
				}
				return n, err
			}); err != nil {
				return out, err
			}
		}
		out.stats, err = measure(ctx, clients, d, len(l.tiles), httpTile(url, l.tiles, true))
		return out, err
	}
	fmt.Fprintf(stdout, "\nActor tiles, uncached, through HTTP: the density threshold off (every actor a feature) and on (a zoom-11 cell of more than %d, %d, %d actors at zooms 12, 13, 14 is one cluster); sizes as sent, mean and largest:\n",
		postgis.DenseCellThreshold(12), postgis.DenseCellThreshold(13), postgis.DenseCellThreshold(14))
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "| zoom, tiles | off: mean raw / gzip | off: largest raw / gzip | off: tiles/s (p50 / p99) | on: mean raw / gzip | on: largest raw / gzip | on: tiles/s (p50 / p99) | on / off, tiles/s |")
	fmt.Fprintln(stdout, "| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, l := range lists {
		if l.z < tiles.ClusterZooms {
			continue
		}
		off, err := run(l, true)
		if err != nil {
			return err
		}
		on, err := run(l, false)
		if err != nil {
			return err
		}
		n := len(l.tiles)
		cell := func(s side) string {
			return fmt.Sprintf("%s / %s | %s / %s | %.0f (%s / %s)", kb(s.rawSum/n), kb(s.gzSum/n), kb(s.rawMax), kb(s.gzMax),
				s.stats.rate(), ms(s.stats.p50), ms(s.stats.p99))
		}
		fmt.Fprintf(stdout, "| %s | %s | %s | %.2fx |\n", l.name, cell(off), cell(on), on.stats.rate()/off.stats.rate())
	}
	return nil
}

// compareLists are the lists on which the server before and now are
// compared: light tiles first.
var compareLists = []string{"14, uniform", "14, city", "12, city"}

// heavyList is the list whose tiles stand for a long-running server's
// past: once its connections have planned them, PostgreSQL's default
// plan_cache_mode settles on generic plans.
const heavyList = "12, city"

// compareServers measures, on each of compareLists, uncached HTTP tiles
// of the server as it was before (tile pool opened on demand, each tile
// planned anew, no gzip) against the present one (pool opened and warmed
// at start, generic plans, gzip), both freshly started, then both warmed
// by a pass over heavyList, and the present one with gzip off.
func compareServers(ctx context.Context, db *postgis.DB, lists []tileList, clients int, d time.Duration,
	newServer func(*postgis.TileStore, *tiles.Cache, bool) (string, func(), error),
	httpTile func(string, []tiles.Tile, bool) func(context.Context, int) (int, error), stdout io.Writer) error {
	heavy, ok := findList(lists, heavyList)
	if !ok {
		return nil
	}
	fmt.Fprintln(stdout, "\nUncached tiles/s (p99) through HTTP, the server before (tile pool opened under load, each tile planned anew, no gzip) and now (pool opened and warmed at start, one generic plan per statement, gzip), each freshly started, then warmed by a pass over the zoom-12 city tiles:")
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "| zoom, tiles | before, fresh | now, fresh | now / before, fresh | before, warmed | now, warmed | now / before, warmed | now, warmed, gzip off | gzip on / off | bytes sent, gzip / raw |")
	fmt.Fprintln(stdout, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	warmPass := func(url string) error {
		_, err := passAll(ctx, clients, len(heavy.tiles), httpTile(url, heavy.tiles, true))
		return err
	}
	cell := func(s benchStats) string { return fmt.Sprintf("%.0f (%s)", s.rate(), ms(s.p99)) }
	for _, name := range compareLists {
		l, ok := findList(lists, name)
		if !ok {
			continue
		}
		var before, beforeWarm, now, nowWarm, nowRaw benchStats
		var gzBytes, rawBytes int
		err := func() error {
			old, err := postgis.NewTileStoreWith(ctx, db, postgis.TilePool{MaxConns: int32(clients), CustomPlans: true, Cold: true})
			if err != nil {
				return err
			}
			defer old.Close()
			url, stop, err := newServer(old, nil, false)
			if err != nil {
				return err
			}
			defer stop()
			if before, err = measure(ctx, clients, d, len(l.tiles), httpTile(url, l.tiles, true)); err != nil {
				return err
			}
			if err := warmPass(url); err != nil {
				return err
			}
			if beforeWarm, err = measure(ctx, clients, d, len(l.tiles), httpTile(url, l.tiles, true)); err != nil {
				return err
			}
			rawBytes, err = passAll(ctx, clients, len(l.tiles), httpTile(url, l.tiles, true))
			return err
		}()
		if err != nil {
			return err
		}
		err = func() error {
			ts, err := postgis.NewTileStoreWith(ctx, db, postgis.TilePool{MaxConns: int32(clients)})
			if err != nil {
				return err
			}
			defer ts.Close()
			url, stop, err := newServer(ts, nil, true)
			if err != nil {
				return err
			}
			defer stop()
			rawURL, stopRaw, err := newServer(ts, nil, false)
			if err != nil {
				return err
			}
			defer stopRaw()
			if now, err = measure(ctx, clients, d, len(l.tiles), httpTile(url, l.tiles, true)); err != nil {
				return err
			}
			if err := warmPass(url); err != nil {
				return err
			}
			if nowWarm, err = measure(ctx, clients, d, len(l.tiles), httpTile(url, l.tiles, true)); err != nil {
				return err
			}
			if nowRaw, err = measure(ctx, clients, d, len(l.tiles), httpTile(rawURL, l.tiles, true)); err != nil {
				return err
			}
			gzBytes, err = passAll(ctx, clients, len(l.tiles), httpTile(url, l.tiles, true))
			return err
		}()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "| %s | %s | %s | %.2fx | %s | %s | %.2fx | %s | %.2fx | %s / %s |\n", name,
			cell(before), cell(now), now.rate()/before.rate(), cell(beforeWarm), cell(nowWarm), nowWarm.rate()/beforeWarm.rate(),
			cell(nowRaw), nowWarm.rate()/nowRaw.rate(), kb(gzBytes), kb(rawBytes))
	}
	return nil
}

// comparePlans measures tiles straight from two warmed tile stores, one
// with a generic plan per statement (the server's), one with
// PostgreSQL's default plan cache, on heavy and light tiles.
func comparePlans(ctx context.Context, db *postgis.DB, cfg config, lists []tileList, clients int, d time.Duration, stdout io.Writer) error {
	generic, err := postgis.NewTileStoreWith(ctx, db, postgis.TilePool{MaxConns: int32(clients)})
	if err != nil {
		return err
	}
	defer generic.Close()
	custom, err := postgis.NewTileStoreWith(ctx, db, postgis.TilePool{MaxConns: int32(clients), CustomPlans: true})
	if err != nil {
		return err
	}
	defer custom.Close()
	fmt.Fprintln(stdout, "\nSQL tiles/s (p50 / p99), straight from a warmed tile store: one generic plan per statement against PostgreSQL's default (plan_cache_mode auto: a plan per tile, until the average planned cost exceeds the generic plan's):")
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "| zoom, tiles | generic plan | default | generic / default |")
	fmt.Fprintln(stdout, "| --- | --- | --- | --- |")
	for _, name := range []string{"12, city", "12, uniform", "14, city", "14, uniform"} {
		l, ok := findList(lists, name)
		if !ok {
			continue
		}
		sql := func(ts *postgis.TileStore) func(context.Context, int) (int, error) {
			return func(ctx context.Context, i int) (int, error) {
				mvt, _, err := ts.Tile(ctx, l.tiles[i], nil, cfg.TileActorZoom)
				return len(mvt), err
			}
		}
		c, err := measure(ctx, clients, d, len(l.tiles), sql(custom))
		if err != nil {
			return err
		}
		g, err := measure(ctx, clients, d, len(l.tiles), sql(generic))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "| %s | %.0f (%s / %s) | %.0f (%s / %s) | %.2fx |\n", name,
			g.rate(), ms(g.p50), ms(g.p99), c.rate(), ms(c.p50), ms(c.p99), g.rate()/c.rate())
	}
	return nil
}

// passAll runs do once for each index below jobs, from clients
// goroutines, and returns the sum of the sizes do reported.
func passAll(ctx context.Context, clients, jobs int, do func(ctx context.Context, i int) (int, error)) (int, error) {
	var next, total atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= jobs {
					return
				}
				n, err := do(ctx, i)
				if err != nil {
					mu.Lock()
					firstErr = firstOf(firstErr, err)
					mu.Unlock()
					return
				}
				total.Add(int64(n))
			}
		})
	}
	wg.Wait()
	return int(total.Load()), firstErr
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}

func kb(n int) string {
	return fmt.Sprintf("%.1f KB", float64(n)/1000)
}
