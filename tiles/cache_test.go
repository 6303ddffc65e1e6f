package tiles

import (
	"bytes"
	"testing"
)

func TestCache(t *testing.T) {
	c := NewCache(3 * (entryOverhead + 1 + 100))
	tile := bytes.Repeat([]byte{1}, 100)
	c.Put("a", 1, tile)
	if _, ok := c.Get("a"); ok {
		t.Fatal("cached before the version is known")
	}
	c.SetVersion(1, true)
	c.Put("a", 0, tile) // an older version is not kept
	if _, ok := c.Get("a"); ok {
		t.Fatal("kept a tile of another version")
	}
	for _, k := range []string{"a", "b", "c"} {
		c.Put(k, 1, tile)
	}
	c.Get("a") // a is now the most recent
	c.Put("d", 1, nil)
	if _, ok := c.Get("b"); ok {
		t.Error("the least recent tile was not dropped")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%s dropped", k)
		}
	}
	if n, size := c.Len(); n != 3 || size > c.max {
		t.Errorf("Len = %d, %d bytes (max %d)", n, size, c.max)
	}
	c.SetVersion(2, true)
	if n, _ := c.Len(); n != 0 {
		t.Errorf("a new version left %d tiles", n)
	}
	c.Put("a", 2, tile)
	c.SetVersion(2, false)
	if _, ok := c.Get("a"); ok {
		t.Error("served a tile while the version is unknown")
	}
}
