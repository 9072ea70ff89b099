// Package static embeds the portal's own stylesheet and the third-party
// front-end files that `go tool task assets` copies from npm (static/lib),
// and serves them under content-hashed URLs with a year-long cache.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed css js img all:lib
var files embed.FS

// Prefix is where assets are served.
const Prefix = "/static/"

// bundles are served files built by concatenating sources in order: the
// design tokens first, then our stylesheet that uses them, in one request.
var bundles = map[string][]string{
	"app.css": {"lib/design-tokens.css", "css/site.css", "css/find.css"},
	// Pages with live lists: htmx's SSE extension and our list upsert.
	"live.js": {"lib/htmx-ext-sse.min.js", "js/live.js"},
}

// servedSingles are files served as they are.
// css/disaster.css stands alone: the disaster-mode home page loads nothing else.
var servedSingles = []string{"lib/htmx.min.js", "lib/htmx-ext-sse.min.js", "js/export.js", "js/checks.js", "js/request-error.js", "js/speech.js", "js/share.js", "css/disaster.css", "img/og-default.png"}

type asset struct {
	url   string
	ctype string
	raw   []byte
	gz    []byte
}

// Assets maps logical names (app.css, lib/htmx.min.js) to hashed URLs and serves them.
type Assets struct {
	byName map[string]*asset
	byURL  map[string]*asset
}

// Load reads, bundles, hashes and pre-compresses the embedded files. A
// missing third-party file is an error naming the task that installs it.
func Load() (*Assets, error) {
	a := &Assets{byName: map[string]*asset{}, byURL: map[string]*asset{}}
	add := func(name string, body []byte) error {
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = w.Write(body)
		if err := w.Close(); err != nil {
			return err
		}
		as := &asset{url: Prefix + hashed, ctype: mime.TypeByExtension(ext), raw: body, gz: gz.Bytes()}
		if strings.HasSuffix(name, ".js") {
			as.ctype = "text/javascript; charset=utf-8"
		} else if strings.HasSuffix(name, ".css") {
			as.ctype = "text/css; charset=utf-8"
		}
		a.byName[name] = as
		a.byURL[as.url] = as
		return nil
	}
	for name, parts := range bundles {
		var buf bytes.Buffer
		for _, p := range parts {
			b, err := fs.ReadFile(files, p)
			if err != nil {
				return nil, missing(p, err)
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
		if err := add(name, buf.Bytes()); err != nil {
			return nil, err
		}
	}
	for _, p := range servedSingles {
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return nil, missing(p, err)
		}
		if err := add(p, b); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func missing(p string, err error) error {
	if strings.HasPrefix(p, "lib/") {
		return fmt.Errorf("static/%s is missing: run `go tool task assets` to install the front-end packages from npm, then rebuild: %w", p, err)
	}
	return err
}

// URL returns the hashed URL of a logical asset name; it panics on an unknown
// name because that is a programming error caught by every page test.
func (a *Assets) URL(name string) string {
	as, ok := a.byName[name]
	if !ok {
		panic("static: unknown asset " + name)
	}
	return as.url
}

// Size returns the gzip-compressed size of a logical asset, for the page-weight test.
func (a *Assets) Size(name string) int { return len(a.byName[name].gz) }

// ServeHTTP serves an asset by its hashed URL, gzip-compressed when the
// client accepts it. Hashed URLs never change content, so they cache for a year.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	as, ok := a.byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Add("Vary", "Accept-Encoding")
	body := as.raw
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = as.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}
