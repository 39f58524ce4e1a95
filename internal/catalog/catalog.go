package catalog

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sync"
)

// Catalog is a set of kinds by code. It is safe for concurrent use.
type Catalog struct {
	mu     sync.RWMutex
	kinds  []*Kind
	byCode map[string]*Kind
}

// New returns an empty catalogue.
func New() *Catalog { return &Catalog{byCode: map[string]*Kind{}} }

//go:embed kinds/*.json
var kindFiles embed.FS

// builtin holds the embedded kinds, loaded once. Kinds are immutable after
// loading, so every Default catalogue shares them.
var builtin = sync.OnceValues(func() ([]*Kind, error) {
	entries, err := fs.ReadDir(kindFiles, "kinds")
	if err != nil {
		return nil, err
	}
	var out []*Kind
	for _, e := range entries {
		f, err := kindFiles.Open(path.Join("kinds", e.Name()))
		if err != nil {
			return nil, err
		}
		k, err := LoadKind(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("kinds/%s: %w", e.Name(), err)
		}
		out = append(out, k)
	}
	return out, nil
})

// Builtin returns the kinds embedded in the binary (kinds/*.json), in
// file-name order.
func Builtin() []*Kind {
	ks, err := builtin()
	if err != nil {
		panic("catalog: embedded kinds: " + err.Error())
	}
	return append([]*Kind(nil), ks...)
}

// Default returns a new catalogue holding the built-in kinds. Kinds added
// to it do not affect other catalogues.
func Default() *Catalog {
	c := New()
	for _, k := range Builtin() {
		if err := c.Add(k); err != nil {
			panic("catalog: " + err.Error())
		}
	}
	return c
}

// Kinds returns the kinds in the order they were added.
func (c *Catalog) Kinds() []*Kind {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]*Kind(nil), c.kinds...)
}

// Kind returns the kind with the given code.
func (c *Catalog) Kind(code string) (*Kind, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k, ok := c.byCode[code]
	return k, ok
}

// Add adds a kind made by LoadKind. Its code must be new.
func (c *Catalog) Add(k *Kind) error {
	if k == nil || k.c == nil {
		return fmt.Errorf("只能加入由LoadKind载入并检查过的信息类别")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.byCode[k.Code]; dup {
		return fmt.Errorf("信息类别代码“%s”已存在", k.Code)
	}
	c.byCode[k.Code] = k
	c.kinds = append(c.kinds, k)
	return nil
}
