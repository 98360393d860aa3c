package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"interlude/internal/care"
)

//go:embed static
var staticFiles embed.FS

// assets are the embedded static files, served under names that carry a
// hash of their content ("app.3f2a1b4c.css") so browsers may cache them
// forever and a new release is fetched at once.
type assets struct {
	byName    map[string]string // "app.css" → "/static/app.3f2a1b4c.css"
	byPrinted map[string]asset  // "app.3f2a1b4c.css" → content
}

type asset struct {
	body        []byte
	contentType string
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]string{}, byPrinted: map[string]asset{}}
	err := fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFiles.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		if strings.Contains(name, "/") {
			return fmt.Errorf("static asset %s: subfolders are not served", p)
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		printed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		a.byName[name] = "/static/" + printed
		a.byPrinted[printed] = asset{body: b, contentType: mime.TypeByExtension(ext)}
		return nil
	})
	return a, err
}

// path returns the fingerprinted URL path of a static file; templates call
// it as {{asset "app.css"}}. An unknown name is a programming error that the
// template test catches.
func (a *assets) path(name string) (string, error) {
	p, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no static asset %q", name)
	}
	return p, nil
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) error {
	f, ok := s.assets.byPrinted[r.PathValue("file")]
	if !ok {
		return care.ErrNotFound
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(f.body) //nolint:errcheck // a failed write to a response means the client has gone: the status is sent, and no one is left to tell
	return nil
}
