package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"interlude/internal/store/storetest"
)

// TestClinicCreate: the operator's bootstrap prints a one-time invitation
// for the first admin (AC-01: no default accounts), which the server then
// recognises as an admin invitation for that clinic.
func TestClinicCreate(t *testing.T) {
	t.Parallel()
	for _, eng := range engineArgs {
		if !storetest.Enabled(eng.name) {
			continue
		}
		t.Run(eng.name, func(t *testing.T) {
			dbArgs := eng.args(t)
			var out, errOut bytes.Buffer
			args := append([]string{"interlude", "clinic", "create", "--name", "Hillside Therapy", "--admin-email", "lead@hillside.example", "--base-url", "https://care.example.org/"}, dbArgs...)
			if err := run(context.Background(), args, noEnv, &out, &errOut); err != nil {
				t.Fatalf("clinic create: %v", err)
			}
			m := regexp.MustCompile(`https://care\.example\.org/invite/(\S+)`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("no invitation link in:\n%s", out.String())
			}
			token := m[1]

			for _, bad := range [][]string{
				{"--name", "X"},
				{"--name", "X", "--admin-email", "not-an-email"},
				{"--admin-email", "a@b.example"},
			} {
				args := append(append([]string{"interlude", "clinic", "create"}, bad...), dbArgs...)
				err := run(context.Background(), args, noEnv, &out, &errOut)
				if err == nil || strings.Contains(err.Error(), "\n") {
					t.Errorf("%v: got %v, want a one-line error", bad, err)
				}
			}

			s := startServe(t, dbArgs...)
			s.waitHealthy(t)
			defer s.stop(t)
			resp, err := http.Get(s.base + "/api/v1/invitations/" + token)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var inv struct {
				Role       string `json:"role"`
				ClinicName string `json:"clinic_name"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&inv); err != nil {
				t.Errorf("invitation: decoding: %v", err)
			}
			if resp.StatusCode != http.StatusOK || inv.Role != "admin" || inv.ClinicName != "Hillside Therapy" {
				t.Errorf("invitation: status %d, %+v", resp.StatusCode, inv)
			}
		})
	}
}
