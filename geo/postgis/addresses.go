package postgis

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// LocalGeocoder is the name of the geocoder that answers from the
// addresses imported into the database.
const LocalGeocoder = "local"

// AddressStore keeps BAN address files in PostGIS and geocodes from
// them, with no network.
type AddressStore struct {
	db *DB
}

// NewAddressStore returns the address store of db.
func NewAddressStore(db *DB) *AddressStore {
	return &AddressStore{db: db}
}

// AddressImport reports an import of addresses.
type AddressImport struct {
	Layout  string // "ban" (national adresses-XX.csv) or "bal" (Base Adresse Locale)
	Rows    int    // addresses stored (created or updated)
	Streets int    // streets and lieux-dits of those addresses
	Skipped int    // rows without a usable id, street, commune or point
}

// addressLayouts are the column names of the two layouts, by field.
var addressLayouts = map[string]map[string]string{
	"ban": {"id": "id", "number": "numero", "suffix": "rep", "street": "nom_voie", "postcode": "code_postal",
		"citycode": "code_insee", "city": "nom_commune", "lon": "lon", "lat": "lat", "locality": "nom_ld"},
	"bal": {"id": "cle_interop", "number": "numero", "suffix": "suffixe", "street": "voie_nom",
		"postcode": "code_postal", "citycode": "commune_insee", "city": "commune_nom", "lon": "long", "lat": "lat",
		"locality": "lieudit_complement_nom"},
}

// balNoNumber is the number the BAL gives to a named place without one.
const balNoNumber = 99999

// ImportAddresses reads a BAN address file, in the layout of the national
// adresses-XX.csv files or of a Base Adresse Locale (gzip-compressed or
// not, separated by semicolons), and stores its addresses, replacing
// those of the same id. Returns EInvalid if the header is of neither
// layout. progress, if not nil, is called with the rows read so far.
func (s *AddressStore) ImportAddresses(ctx context.Context, r io.Reader, progress func(rows int)) (*AddressImport, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, geo.Errorf(geo.EInvalid, "unreadable gzip file: %v", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	cr := csv.NewReader(br)
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, geo.Errorf(geo.EInvalid, "unreadable address file header: %v", err)
	}
	pos := make(map[string]int, len(header))
	for i, h := range header {
		pos[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	res := &AddressImport{}
	var cols map[string]int
	for _, name := range []string{"ban", "bal"} {
		if c, ok := layoutColumns(addressLayouts[name], pos); ok {
			res.Layout, cols = name, c
			break
		}
	}
	if cols == nil {
		return nil, geo.Errorf(geo.EInvalid, "not a BAN address file: expected the columns of adresses-XX.csv (id;numero;rep;nom_voie;code_postal;code_insee;nom_commune;...;lon;lat) or of a Base Adresse Locale (cle_interop;commune_insee;commune_nom;voie_nom;numero;suffixe;...;long;lat)")
	}

	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `
		CREATE TEMP TABLE addresses_in (
			id text, citycode text, postcode text, city text, street text,
			street_fold text, city_fold text, number integer, suffix text, suffix_fold text,
			lon float8, lat float8
		) ON COMMIT DROP`)
	if err != nil {
		return nil, err
	}
	read := 0
	src := &addressRows{next: func() ([]any, error) {
		for {
			rec, err := cr.Read()
			if err != nil {
				return nil, err
			}
			read++
			if progress != nil && read%1000 == 0 {
				progress(read)
			}
			row, ok := addressRow(rec, cols)
			if !ok {
				res.Skipped++
				continue
			}
			return row, nil
		}
	}}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"addresses_in"},
		[]string{"id", "citycode", "postcode", "city", "street", "street_fold", "city_fold",
			"number", "suffix", "suffix_fold", "lon", "lat"}, src)
	if err != nil {
		var ge *geo.Error
		if errors.As(err, &ge) {
			return nil, ge
		}
		return nil, fmt.Errorf("reading addresses: %w", err)
	}
	if progress != nil {
		progress(read)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO address_streets (citycode, postcode, city, street, street_fold, city_fold)
		SELECT DISTINCT ON (citycode, postcode, street_fold) citycode, postcode, city, street, street_fold, city_fold
		FROM addresses_in
		ORDER BY citycode, postcode, street_fold, street
		ON CONFLICT (citycode, postcode, street_fold) DO UPDATE SET city = excluded.city, street = excluded.street`)
	if err != nil {
		return nil, err
	}
	res.Streets = int(tag.RowsAffected())
	// The point of a street is the address nearest the middle of its
	// addresses, so that it lies on the street.
	_, err = tx.Exec(ctx, `
		UPDATE address_streets s SET location = ST_ClosestPoint(m.points, ST_Centroid(m.points))
		FROM (SELECT citycode, postcode, street_fold,
				ST_Collect(ST_SetSRID(ST_MakePoint(lon, lat), 4326)) AS points
			FROM addresses_in GROUP BY citycode, postcode, street_fold) m
		WHERE (s.citycode, s.postcode, s.street_fold) = (m.citycode, m.postcode, m.street_fold)`)
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO addresses (id, street_id, number, suffix, suffix_fold, location)
		SELECT DISTINCT ON (i.id) i.id, s.id, i.number, i.suffix, i.suffix_fold,
			ST_SetSRID(ST_MakePoint(i.lon, i.lat), 4326)
		FROM addresses_in i
		JOIN address_streets s ON (s.citycode, s.postcode, s.street_fold) = (i.citycode, i.postcode, i.street_fold)
		WHERE i.number IS NOT NULL
		ORDER BY i.id
		ON CONFLICT (id) DO UPDATE SET street_id = excluded.street_id, number = excluded.number,
			suffix = excluded.suffix, suffix_fold = excluded.suffix_fold, location = excluded.location`)
	if err != nil {
		return nil, err
	}
	res.Rows = int(n)
	if _, err := tx.Exec(ctx, `ANALYZE address_streets`); err != nil {
		return nil, err
	}
	return res, tx.Commit(ctx)
}

// layoutColumns returns the position of each field of layout in the
// header, if the header has the required ones.
func layoutColumns(layout map[string]string, pos map[string]int) (map[string]int, bool) {
	cols := make(map[string]int, len(layout))
	for field, name := range layout {
		i, ok := pos[name]
		if !ok {
			switch field {
			case "postcode", "locality", "suffix":
				cols[field] = -1
				continue
			}
			return nil, false
		}
		cols[field] = i
	}
	return cols, true
}

// addressRow is one record as the row of addresses_in, or false when it
// lacks an id, a street, a commune or a point.
func addressRow(rec []string, cols map[string]int) ([]any, bool) {
	get := func(f string) string {
		if i := cols[f]; i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	id, street, citycode, city := get("id"), get("street"), get("citycode"), get("city")
	if street == "" {
		street = get("locality")
	}
	lon, err1 := strconv.ParseFloat(get("lon"), 64)
	lat, err2 := strconv.ParseFloat(get("lat"), 64)
	if id == "" || street == "" || citycode == "" || err1 != nil || err2 != nil ||
		!(geo.Point{Lon: lon, Lat: lat}).Valid() {
		return nil, false
	}
	var number any
	if n, err := strconv.Atoi(get("number")); err == nil && n >= 0 && n != balNoNumber {
		number = n
	}
	suffix := get("suffix")
	return []any{id, citycode, get("postcode"), city, street, geo.FoldAddress(street), geo.FoldAddress(city),
		number, suffix, geo.FoldSuffix(suffix), lon, lat}, true
}

// addressRows feeds CopyFrom from a function.
type addressRows struct {
	next func() ([]any, error)
	row  []any
	err  error
}

func (r *addressRows) Next() bool {
	r.row, r.err = r.next()
	if errors.Is(r.err, io.EOF) {
		r.err = nil
		return false
	}
	return r.err == nil
}

func (r *addressRows) Values() ([]any, error) { return r.row, nil }
func (r *addressRows) Err() error {
	if r.err != nil {
		return geo.Errorf(geo.EInvalid, "unreadable address file: %v", r.err)
	}
	return nil
}

// streetThreshold is the least word similarity between a query and a
// street (with its commune) for the street to be a candidate.
const streetThreshold = 0.45

type streetMatch struct {
	ID       int64
	Citycode string
	Postcode string
	City     string
	Street   string
	Lon      *float64
	Lat      *float64
	WS       float64
	Sim      float64
	Number   *int
	Suffix   *string
	Sfold    *string
	ALon     *float64 `db:"alon"`
	ALat     *float64 `db:"alat"`
}

// Geocode implements geo.Geocoder from the imported addresses: the street
// is found by trigram similarity of the folded text (street and commune),
// narrowed by postcode or INSEE code, then the house number and its
// repetition index on that street. Without the number, the street's point
// is given, as type street.
func (s *AddressStore) Geocode(ctx context.Context, q geo.GeocodeQuery) ([]geo.Candidate, error) {
	p := geo.ParseAddress(q.Q)
	if p.Text == "" {
		return nil, nil
	}
	postcode := q.Postcode
	if postcode == "" {
		postcode = p.Postcode
	}
	matches, err := s.findStreets(ctx, p, postcode, q.Citycode)
	if err != nil {
		return nil, err
	}
	penalty := 1.0
	if len(matches) == 0 && postcode != "" {
		// A wrong postcode is a common mistake: look beyond it.
		if matches, err = s.findStreets(ctx, p, "", q.Citycode); err != nil {
			return nil, err
		}
		penalty = 0.9
	}
	cands := localCandidates(p, matches, penalty)
	if q.Type != "" {
		kept := cands[:0]
		for _, c := range cands {
			if c.Type == q.Type {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	cands = geo.SortCandidates(cands)
	if limit := q.Limit; limit > 0 && len(cands) > limit {
		cands = cands[:limit]
	} else if limit <= 0 && len(cands) > 5 {
		cands = cands[:5]
	}
	return cands, nil
}

func (s *AddressStore) findStreets(ctx context.Context, p geo.ParsedAddress, postcode, citycode string) ([]streetMatch, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)`,
		strconv.FormatFloat(streetThreshold, 'f', -1, 64))
	if err != nil {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `
		WITH s AS (
			SELECT id, citycode, postcode, city, street, location,
				word_similarity(@text, street_fold || ' ' || city_fold) AS ws,
				similarity(@text, street_fold || ' ' || city_fold) AS sim
			FROM address_streets
			WHERE @text <% (street_fold || ' ' || city_fold)
				AND (@postcode = '' OR postcode = @postcode OR postcode = '')
				AND (@citycode = '' OR citycode = @citycode)
			ORDER BY ws DESC, sim DESC, id
			LIMIT 8
		)
		SELECT s.id, s.citycode, s.postcode, s.city, s.street,
			ST_X(s.location) AS lon, ST_Y(s.location) AS lat, s.ws, s.sim,
			a.number, a.suffix, a.suffix_fold AS sfold, ST_X(a.location) AS alon, ST_Y(a.location) AS alat
		FROM s LEFT JOIN addresses a ON a.street_id = s.id AND a.number = @number
		ORDER BY s.ws DESC, s.sim DESC, s.id`,
		pgx.NamedArgs{"text": p.Text, "postcode": postcode, "citycode": citycode, "number": p.Number})
	return pgx.CollectRows(rows, pgx.RowToStructByName[streetMatch])
}

// localCandidates turns the rows of findStreets into one candidate per
// street: the address of the number asked for when the street has it,
// else the street itself.
func localCandidates(p geo.ParsedAddress, rows []streetMatch, penalty float64) []geo.Candidate {
	type best struct {
		c       geo.Candidate
		quality float64
	}
	var order []int64
	byStreet := map[int64]*best{}
	for _, r := range rows {
		// Word similarity says the street (and commune) is in the text;
		// similarity, that the text holds little else.
		streetScore := (0.85*r.WS + 0.15*r.Sim) * penalty
		b, seen := byStreet[r.ID]
		if !seen {
			order = append(order, r.ID)
			b = &best{quality: -1}
			byStreet[r.ID] = b
			if r.Lon != nil && r.Lat != nil {
				quality := 0.75
				if p.Number == 0 {
					quality = 1
				}
				b.c = geo.Candidate{Point: geo.Point{Lon: *r.Lon, Lat: *r.Lat},
					Label: joinLabel(r.Street, r.Postcode, r.City), Score: streetScore * quality,
					Type: geo.TypeStreet, Postcode: r.Postcode, Citycode: r.Citycode, City: r.City,
					Geocoder: LocalGeocoder}
				b.quality = quality
			}
		}
		if r.Number == nil || r.ALon == nil || r.ALat == nil {
			continue
		}
		quality := suffixQuality(p.Suffix, *r.Sfold)
		if quality <= b.quality {
			continue
		}
		number := strconv.Itoa(*r.Number)
		if *r.Suffix != "" {
			number += " " + *r.Suffix
		}
		b.quality = quality
		b.c = geo.Candidate{Point: geo.Point{Lon: *r.ALon, Lat: *r.ALat},
			Label: joinLabel(number+" "+r.Street, r.Postcode, r.City), Score: streetScore * quality,
			Type: geo.TypeHousenumber, Postcode: r.Postcode, Citycode: r.Citycode, City: r.City,
			Geocoder: LocalGeocoder}
	}
	out := make([]geo.Candidate, 0, len(order))
	for _, id := range order {
		if b := byStreet[id]; b.quality >= 0 {
			out = append(out, b.c)
		}
	}
	return out
}

// suffixQuality is how well an address's repetition index answers the
// one asked for: the same one, 1; the plain number for a suffixed one
// asked, 0.9; a suffixed one for the plain number asked, 0.85; another
// suffix, 0.8.
func suffixQuality(asked, found string) float64 {
	switch {
	case asked == found:
		return 1
	case found == "":
		return 0.9
	case asked == "":
		return 0.85
	}
	return 0.8
}

func joinLabel(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " ")
}

// CountAddresses returns the number of addresses the local geocoder
// knows.
func (s *AddressStore) CountAddresses(ctx context.Context) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM addresses`).Scan(&n)
	return n, err
}
