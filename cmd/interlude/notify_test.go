package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultVAPIDSubject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ base, from, want string }{
		{"https://care.example.org/", "", "https://care.example.org"},
		{"http://localhost:8080", "Interlude <care@clinic.test>", "mailto:care@clinic.test"},
		{"http://localhost:8080", "", "mailto:interlude@localhost"},
	} {
		if got := defaultVAPIDSubject(tc.base, tc.from); got != tc.want {
			t.Errorf("defaultVAPIDSubject(%q, %q) = %q, want %q", tc.base, tc.from, got, tc.want)
		}
	}
}

// TestNotifierSettings (EN-04): the SMTP password comes from a file or
// the environment and a sample one is refused; the VAPID key is created
// once under the data folder, 0600, and said so.
func TestNotifierSettings(t *testing.T) {
	t.Parallel()
	env := func(vars map[string]string, stderr io.Writer) *env {
		return &env{getenv: func(k string) string { return vars[k] }, stdout: io.Discard, stderr: stderr}
	}
	f := notifyFlags{smtpHost: "mx.test", smtpPort: "587", smtpTLS: "starttls", smtpUser: "u", smtpFrom: "a@b.test"}
	if _, err := f.mailer(env(map[string]string{"INTERLUDE_SMTP_PASSWORD": "changeme"}, io.Discard)); err == nil || !strings.Contains(err.Error(), "sample") {
		t.Errorf("a sample password: %v", err)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("a real one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.smtpPasswordFile = pw
	if m, err := f.mailer(env(nil, io.Discard)); err != nil || m == nil {
		t.Errorf("a password file: %v", err)
	}

	data := t.TempDir()
	var stderr bytes.Buffer
	g := notifyFlags{webPush: true}
	d, cfg, err := g.notifier(env(nil, &stderr), data, "https://care.example.org", nil, slog.New(slog.DiscardHandler))
	if err != nil || d.Push == nil || d.Mail != nil || cfg.Email || cfg.PushPublicKey == "" {
		t.Fatalf("%+v %+v %v", d, cfg, err)
	}
	if fi, err := os.Stat(filepath.Join(data, "vapid.key")); err != nil || fi.Mode().Perm() != 0o600 || !strings.Contains(stderr.String(), "VAPID") {
		t.Errorf("the key file: %v %v; stderr %q", fi, err, stderr.String())
	}
	stderr.Reset()
	_, again, err := g.notifier(env(nil, &stderr), data, "https://care.example.org", nil, slog.New(slog.DiscardHandler))
	if err != nil || again.PushPublicKey != cfg.PushPublicKey || stderr.Len() != 0 {
		t.Errorf("a second start: %v, key changed %v, stderr %q", err, again.PushPublicKey != cfg.PushPublicKey, stderr.String())
	}
	g.webPush = false
	if _, off, err := g.notifier(env(nil, io.Discard), data, "", nil, slog.New(slog.DiscardHandler)); err != nil || off.PushPublicKey != "" {
		t.Errorf("web push off: %+v %v", off, err)
	}
}
