package tiles

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"io"
	"sync"
)

// Cache keeps recent tiles in memory (the handlers store them gzipped, see
// Gzip), at most a given number of bytes,
// dropping the least recently used first. Every tile is stored with the
// data version it shows; the cache trusts its entries only while it knows
// the current version (SetVersion), which a listener of the database's
// change notifications keeps up to date. A change of version empties it.
// Safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	version int64
	known   bool
	lru     *list.List // of *cacheEntry, most recent first
	byKey   map[string]*list.Element
}

type cacheEntry struct {
	key  string
	data []byte
}

// entryOverhead approximates the memory an entry takes besides its bytes.
const entryOverhead = 128

// NewCache returns an empty cache of at most maxBytes, which does not know
// the data version yet.
func NewCache(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, lru: list.New(), byKey: make(map[string]*list.Element)}
}

// Version returns the current data version, and false when it is not known
// (no listener, or its connection is down).
func (c *Cache) Version() (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version, c.known
}

// SetVersion records the current data version, or that it is unknown when
// ok is false. Any change empties the cache.
func (c *Cache) SetVersion(version int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok == c.known && version == c.version {
		return
	}
	c.version, c.known = version, ok
	c.lru.Init()
	clear(c.byKey)
	c.size = 0
}

// Get returns the tile stored under key for the current version. An empty
// tile is a nil slice with ok true.
func (c *Cache) Get(key string) (data []byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known {
		return nil, false
	}
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cacheEntry).data, true
}

// Put stores data under key if it shows the current version and fits.
func (c *Cache) Put(key string, version int64, data []byte) {
	cost := int64(len(key)+len(data)) + entryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known || version != c.version || cost > c.max {
		return
	}
	if el, ok := c.byKey[key]; ok {
		c.remove(el)
	}
	c.byKey[key] = c.lru.PushFront(&cacheEntry{key: key, data: data})
	c.size += cost
	for c.size > c.max {
		c.remove(c.lru.Back())
	}
}

func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.byKey, e.key)
	c.size -= int64(len(e.key)+len(e.data)) + entryOverhead
}

// Len returns the number of tiles held and their cost in bytes.
func (c *Cache) Len() (tiles int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.size
}

// gzipWriters are reused: a gzip.Writer allocates about 800 KB of tables.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}

// Gzip returns raw compressed with gzip at its fastest level, which takes
// about two thirds off a tile; the higher levels gain a few per cent more
// for twice the time. An empty tile stays empty.
func Gzip(raw []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(len(raw)/2 + 64)
	w := gzipWriters.Get().(*gzip.Writer)
	w.Reset(&buf)
	w.Write(raw) // writes to a bytes.Buffer do not fail
	w.Close()
	gzipWriters.Put(w)
	return buf.Bytes()
}

// Gunzip returns the bytes that Gzip compressed into gz, for the clients
// that do not accept gzip. An empty tile stays empty.
func Gunzip(gz []byte) ([]byte, error) {
	if len(gz) == 0 {
		return nil, nil
	}
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
