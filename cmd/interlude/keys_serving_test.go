package main

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/store/storetest"
)

// TestKeysRotateWhileServing (#17): `interlude keys rotate` while a server
// runs. The server was started on a database seeded by an earlier start,
// so its data-key cache is cold. Requests keep coming during the rotation
// and not one fails; afterwards, clients and staff the server had not
// read yet (their data keys now wrapped under version 2 only) sign in and
// are read, and a data key the server creates after the rotation is
// wrapped under version 2, so every live data key ends on version 2.
func TestKeysRotateWhileServing(t *testing.T) {
	t.Parallel()
	for _, eng := range engineArgs {
		if !storetest.Enabled(eng.name) {
			continue
		}
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			dbArgs := eng.args(t)
			first := startServe(t, dbArgs...)
			first.waitHealthy(t)
			logins := first.stdout.String()
			first.stop(t)

			s := startServe(t, dbArgs...)
			s.waitHealthy(t)

			sam := apiSignIn(t, s, logins, "sam@demo.interlude.test")
			var failures, done atomic.Int64
			var firstFailure atomic.Value
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						for _, path := range []string{"/api/v1/me", "/api/v1/clients/" + sam.userID + "/journal"} {
							status, body, err := apiGet(s, sam.token, path)
							done.Add(1)
							if err != nil || status != http.StatusOK {
								failures.Add(1)
								firstFailure.CompareAndSwap(nil, fmt.Sprintf("GET %s: %d %v %s", path, status, err, body))
							}
						}
					}
				}()
			}

			var out, errb bytes.Buffer
			rotateArgs := append([]string{"interlude", "keys", "rotate"}, dbArgs...)
			err := run(context.Background(), rotateArgs, noEnv, &out, &errb)
			if err != nil {
				close(stop)
				wg.Wait()
				t.Fatalf("keys rotate: %v\n%s%s", err, out.String(), errb.String())
			}
			// Requests go on a while after the rotation, on the new keys.
			for before := done.Load(); done.Load() < before+20; {
				if _, _, err := apiGet(s, sam.token, "/healthz"); err != nil {
					t.Fatal(err)
				}
			}
			close(stop)
			wg.Wait()
			if n := failures.Load(); n > 0 {
				t.Errorf("%d of %d requests failed during the rotation; first: %v\nstderr:\n%s", n, done.Load(), firstFailure.Load(), s.stderr)
			}

			// Alex and the provider had not been read by this server: their
			// keys are on version 2 only now.
			alex := apiSignIn(t, s, logins, "alex@demo.interlude.test")
			if status, body, err := apiGet(s, alex.token, "/api/v1/me"); err != nil || status != http.StatusOK {
				t.Errorf("Alex after the rotation: GET /api/v1/me: %d %v %s", status, err, body)
			}
			provider := apiSignIn(t, s, logins, "provider@demo.interlude.test")
			if status, body, err := apiGet(s, provider.token, "/api/v1/clients"); err != nil || status != http.StatusOK {
				t.Errorf("the provider's caseload after the rotation: %d %v %s", status, err, body)
			}
			// A new owner's data key, made after the rotation.
			status, body := apiPost(s, provider.token, "/api/v1/invitations",
				`{"role":"client","email":"rotation@demo.interlude.test","display_name":"Robin Rotation"}`)
			if status != http.StatusCreated {
				t.Errorf("an invitation after the rotation: %d %s", status, body)
			}
			s.stop(t)

			db := parseDBFlags(t, dbArgs)
			st, closeDB, _, err := db.openStore(context.Background(), &env{getenv: noEnv, stdout: io.Discard, stderr: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			defer closeDB.Close() //nolint:errcheck // the test's own handle, read only
			counts, err := st.DataKeyVersions(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(counts) != 1 || counts[2] == 0 {
				t.Errorf("live data keys by master-key version after the rotation: %v, want all on 2", counts)
			}
		})
	}
}

// parseDBFlags reads a command's database flags (--data, --database-url).
func parseDBFlags(t *testing.T, args []string) *dbFlags {
	t.Helper()
	var db dbFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	db.register(fs, &env{getenv: noEnv, stdout: io.Discard, stderr: io.Discard})
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &db
}

// apiSession is a signed-in demo user.
type apiSession struct{ token, userID string }

// apiSignIn signs in a demo login printed in logins (the first start's
// output), with a TOTP code for staff.
func apiSignIn(t *testing.T, s *testServe, logins, email string) apiSession {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s+\w+\s+.*\s` + regexp.QuoteMeta(email) + `\s+password (\S+)\n(?:\s+authenticator secret (\S+))?`)
	m := re.FindStringSubmatch(logins)
	if m == nil {
		t.Fatalf("no demo login for %s in:\n%s", email, logins)
	}
	body := map[string]string{"email": email, "password": m[1]}
	if m[2] != "" {
		key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(m[2])
		if err != nil {
			t.Fatal(err)
		}
		body["totp_code"] = auth.TOTPCode(key, auth.TOTPStep(time.Now()))
	}
	b, _ := json.Marshal(body)
	resp, err := s.client.Post(s.base+"/api/v1/sessions", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("signing in %s: %d %v\nstderr:\n%s", email, resp.StatusCode, err, s.stderr)
	}
	return apiSession{token: got.Token, userID: got.User.ID}
}

func apiGet(s *testServe, token, path string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}

// apiPost posts a JSON body; it may run outside the test's goroutine, so
// it reports a failed request as a status of 0 and the error's text.
func apiPost(s *testServe, token, path, body string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(b)
}
