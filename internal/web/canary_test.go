package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestCanaryStaysSealed (EN-01, IV-05, AD-01): the main flows run with a
// canary string in every field that can hold PHI: a client's name, email
// and password, in invitations, sign-ins (right and wrong), reads and
// refused input, and an admin's break-glass reason. The canary must then appear in no log line, no audit
// row, no error message, and nowhere as plaintext in the SQLite files or
// in PostgreSQL's table data. Staff names and emails are not PHI and are
// stored plain on purpose (reports name who looked), so they carry none.
func TestCanaryStaysSealed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		ctx := context.Background()
		var b [8]byte
		rand.Read(b[:])
		// Letters only, so that it may also be a word of a journal entry's
		// emotions (letters, spaces and hyphens).
		canary := "phicanary" + strings.Map(func(r rune) rune { return 'g' + (r-'0')%39 }, hex.EncodeToString(b[:]))
		name := "Casey " + strings.ToUpper(canary[:1]) + canary[1:] // mixed case
		email := canary + "@client.test"
		password := "the " + canary + " horse staple"

		clinic := care.Clinic{Name: "Canary Clinic"}
		if err := db.Store.CreateClinic(ctx, &clinic); err != nil {
			t.Fatal(err)
		}
		adminInvite, hash := auth.NewInvitationToken()
		inv := &care.Invitation{ClinicID: clinic.ID, Role: care.RoleAdmin, Email: "admin@canary.test", DisplayName: "Admin"}
		if err := db.Store.CreateInvitation(ctx, care.Actor{}, inv, hash, care.DefaultInvitationLifetime().Staff); err != nil {
			t.Fatal(err)
		}
		_, adminToken := e.acceptAndSignIn(t, adminInvite, care.RoleAdmin, clinic, "admin@canary.test")
		provInvite := e.inviteVia(t, adminToken, care.RoleProvider, "pat@canary.test", "Pat")
		_, providerToken := e.acceptAndSignIn(t, provInvite, care.RoleProvider, clinic, "pat@canary.test")

		var errorBodies []string

		// The provider invites the client, whose details are the canary.
		clientInvite := e.inviteVia(t, providerToken, care.RoleClient, email, name)
		rec := e.call(t, "GET", "/api/v1/invitations/"+clientInvite, "", nil)
		expect(t, rec, http.StatusOK, "", "opening the client's invitation")
		rec = e.call(t, "POST", "/api/v1/invitations/"+clientInvite+"/accept", "", map[string]string{
			"password": password, "display_name": name + " Jr",
		})
		expect(t, rec, http.StatusCreated, "", "accepting")
		clientID := respJSON[acceptJSON](t, rec).User.ID

		// Sign-ins: right, wrong password, unknown email.
		rec = e.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": email, "password": password})
		expect(t, rec, http.StatusCreated, "", "the client signs in")
		clientToken := respJSON[signInJSON](t, rec).Token
		rec = e.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": email, "password": password + " typo"})
		expect(t, rec, http.StatusUnauthorized, "unauthenticated", "a wrong password")
		errorBodies = append(errorBodies, rec.Body.String())
		rec = e.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "x" + email, "password": password})
		expect(t, rec, http.StatusUnauthorized, "unauthenticated", "an unknown email")
		errorBodies = append(errorBodies, rec.Body.String())

		// Reads of the record.
		rec = e.call(t, "GET", "/api/v1/me", clientToken, nil)
		expect(t, rec, http.StatusOK, "", "the client's own profile")
		rec = e.call(t, "GET", "/api/v1/clients/"+clientID, providerToken, nil)
		expect(t, rec, http.StatusOK, "", "the provider reads the client")
		if !strings.Contains(rec.Body.String(), canary[1:]) {
			t.Fatalf("the provider's read lacks the client's name: %s", rec.Body)
		}
		rec = e.call(t, "GET", "/api/v1/clients", providerToken, nil)
		expect(t, rec, http.StatusOK, "", "the caseload")
		rec = e.call(t, "GET", "/api/v1/users", adminToken, nil)
		expect(t, rec, http.StatusOK, "", "the admin's user list")

		// The journal: an entry whose text and emotions hold the canary,
		// written, read by the client and the provider, edited (a version),
		// and refused input that carries it.
		journal := "/api/v1/clients/" + clientID + "/journal"
		rec = e.call(t, "POST", journal, clientToken, map[string]any{
			"occurred_at": db.Clock.Now().Add(-time.Hour).Format(time.RFC3339), "mood": 3, "shared": true,
			"emotions": []string{"anxious", canary, "so " + canary}, "text": "Today " + canary + " happened.",
		})
		expect(t, rec, http.StatusCreated, "", "a journal entry with the canary")
		entryID := respJSON[struct {
			ID string `json:"id"`
		}](t, rec).ID
		rec = e.call(t, "GET", journal, providerToken, nil)
		expect(t, rec, http.StatusOK, "", "the provider reads the journal")
		if !strings.Contains(rec.Body.String(), "Today "+canary) || !strings.Contains(rec.Body.String(), `"so `+canary) {
			t.Fatalf("the provider's read lacks the entry: %s", rec.Body)
		}
		rec = e.call(t, "PATCH", journal+"/"+entryID, clientToken, map[string]any{"text": "Later " + canary + " again."})
		expect(t, rec, http.StatusOK, "", "editing the entry")
		expect(t, e.call(t, "GET", journal+"/"+entryID+"/versions", clientToken, nil), http.StatusOK, "", "the versions")
		expect(t, e.call(t, "GET", "/journal", clientToken, nil), http.StatusOK, "", "the client's journal page")
		// Tags and searches (#18): a tag that is the canary, and searches
		// for it by word and by tag, on the API and the page.
		rec = e.call(t, "PATCH", journal+"/"+entryID, clientToken, map[string]any{"tags": []string{canary}})
		expect(t, rec, http.StatusOK, "", "tagging the entry")
		for _, path := range []string{journal + "?q=" + canary, journal + "?tag=" + canary, "/journal?q=" + canary + "&tag=" + canary,
			"/journal?q=" + canary + "&mood_min=abc"} {
			rec = e.call(t, "GET", path, clientToken, nil)
			if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), canary) {
				t.Errorf("searching %s: %d, the answer lacks the canary", path[:strings.Index(path, "?")], rec.Code)
			}
		}
		expect(t, e.call(t, "GET", "/clients/"+clientID+"/journal", providerToken, nil), http.StatusOK, "", "the provider's timeline")
		for _, body := range []map[string]any{
			{"occurred_at": db.Clock.Now().Format(time.RFC3339), "emotions": []string{canary + "1"}},
			{"occurred_at": db.Clock.Now().Format(time.RFC3339), "text": strings.Repeat(canary, 500)},
			{"occurred_at": canary, "text": canary},
			{"occurred_at": db.Clock.Now().Format(time.RFC3339), "text": canary, "goal_id": canary},
		} {
			rec = e.call(t, "POST", journal, clientToken, body)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("refused journal input answered %d: %s", rec.Code, rec.Body)
			}
			errorBodies = append(errorBodies, rec.Body.String())
		}

		// Messages: both ways, read, and one refused as too long.
		messages := "/api/v1/clients/" + clientID + "/messages"
		rec = e.call(t, "POST", messages, clientToken, map[string]string{"text": "About " + canary + " today"})
		expect(t, rec, http.StatusCreated, "", "a message with the canary")
		msgID := respJSON[struct{ ID string }](t, rec).ID
		expect(t, e.call(t, "POST", messages, providerToken, map[string]string{"text": "Re " + canary}), http.StatusCreated, "", "a reply")
		expect(t, e.call(t, "POST", messages+"/"+msgID+"/read", providerToken, nil), http.StatusNoContent, "", "a read receipt")
		expect(t, e.call(t, "GET", messages, clientToken, nil), http.StatusOK, "", "the thread")
		expect(t, e.call(t, "GET", "/clients/"+clientID+"/messages", providerToken, nil), http.StatusOK, "", "the provider's thread page")
		expect(t, e.call(t, "POST", messages, clientToken, map[string]string{"text": strings.Repeat(canary, 400)}), http.StatusBadRequest, "", "a message too long")

		// Trackers (#19): a template (clinic content, no canary), and the
		// client's entries whose text answers hold it, read by both;
		// refused entries that carry it (too long, an unknown field).
		rec = e.call(t, "POST", "/api/v1/tracker-templates", providerToken, allKindsTemplate())
		expect(t, rec, http.StatusCreated, "", "a tracker template")
		rec = e.call(t, "POST", "/api/v1/clients/"+clientID+"/trackers", providerToken,
			map[string]any{"template_id": respJSON[trackerTemplateJSON](t, rec).ID, "reminder": true})
		expect(t, rec, http.StatusCreated, "", "assigning a tracker")
		trackerEntries := "/api/v1/clients/" + clientID + "/trackers/" + respJSON[trackerJSON](t, rec).ID + "/entries"
		for _, shared := range []bool{true, false} {
			rec = e.call(t, "POST", trackerEntries, clientToken, map[string]any{
				"occurred_at": db.Clock.Now().Add(-time.Hour).Format(time.RFC3339), "shared": shared,
				"values": map[string]any{"situation": "at " + canary[:20], "notes": "Today " + canary + " happened.", "urge": 2}})
			expect(t, rec, http.StatusCreated, "", "a tracker entry with the canary")
		}
		rec = e.call(t, "GET", trackerEntries, providerToken, nil)
		expect(t, rec, http.StatusOK, "", "the provider reads the tracker entries")
		if !strings.Contains(rec.Body.String(), "Today "+canary) {
			t.Fatalf("the provider's read lacks the tracker entry: %s", rec.Body)
		}
		for _, values := range []map[string]any{
			{"situation": strings.Repeat(canary, 3)},
			{canary: 1},
			{"emotion": canary},
			{"bedtime": canary},
		} {
			rec = e.call(t, "POST", trackerEntries, clientToken, map[string]any{
				"occurred_at": db.Clock.Now().Format(time.RFC3339), "values": values})
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("refused tracker input answered %d: %s", rec.Code, rec.Body)
			}
			errorBodies = append(errorBodies, rec.Body.String())
		}

		// Refused input that carries the canary: the error does not echo it.
		for _, body := range []map[string]string{
			{"role": "client", "email": canary + "@@client.test", "display_name": name},
			{"role": "client", "email": "ok-" + canary + "@client.test", "display_name": strings.Repeat(canary, 40)},
		} {
			rec = e.call(t, "POST", "/api/v1/invitations", providerToken, body)
			if rec.Code < 400 {
				t.Fatalf("refused input answered %d: %s", rec.Code, rec.Body)
			}
			errorBodies = append(errorBodies, rec.Body.String())
		}
		// Inviting the client's email again is not refused (AU-07, #17):
		// the invitation is stored, sealed, like any other.
		expect(t, e.call(t, "POST", "/api/v1/invitations", providerToken, map[string]string{"role": "client", "email": email, "display_name": name}),
			http.StatusCreated, "", "inviting an email that has an account")
		rec = e.call(t, "POST", "/api/v1/sessions", "", `{"email": "`+canary+`", "password": 5}`)
		errorBodies = append(errorBodies, rec.Body.String())

		// Break-glass: the admin's stated reason may name health details.
		rec = e.call(t, "POST", "/api/v1/break-glass", adminToken, map[string]string{
			"client_id": clientID, "reason": "crisis call about " + canary + " tonight", "totp_code": e.nextCode(t, "admin@canary.test"),
		})
		expect(t, rec, http.StatusCreated, "", "break-glass with the canary in the reason")
		rec = e.call(t, "GET", "/api/v1/clients/"+clientID, adminToken, nil)
		expect(t, rec, http.StatusOK, "", "the admin reads through break-glass")

		if _, _, _, err := db.Store.SealAudit(ctx, 100000); err != nil {
			t.Fatal(err)
		}

		hit := func(where string, data []byte) {
			t.Helper()
			if bytes.Contains(bytes.ToLower(data), []byte(canary)) {
				t.Errorf("the canary is in %s", where)
			}
		}
		hit("the log", []byte(e.log.String()))
		for i, b := range errorBodies {
			hit("error message "+string(rune('a'+i)), []byte(b))
		}
		// Every audit column, as text.
		rows, err := db.Engine.SQLDB().Query(`SELECT ` + auditColumnsAsText + ` FROM audit_events`)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			hit("an audit row", []byte(row))
			n++
		}
		rows.Close()
		if n < 10 {
			t.Errorf("only %d audit rows: the flows did not run", n)
		}

		switch db.Name {
		case "sqlite":
			files, _ := filepath.Glob(filepath.Join(db.DataDir, "interlude.db*"))
			if len(files) == 0 {
				t.Fatal("no SQLite files")
			}
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				hit(filepath.Base(f), data)
			}
		case "postgres":
			tables, err := db.Engine.SQLDB().Query(
				`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for tables.Next() {
				var s string
				if err := tables.Scan(&s); err != nil {
					t.Fatal(err)
				}
				names = append(names, s)
			}
			if err := tables.Err(); err != nil {
				t.Fatal(err)
			}
			tables.Close()
			if len(names) < 5 {
				t.Fatalf("tables: %v", names)
			}
			for _, table := range names {
				rows, err := db.Engine.SQLDB().Query(`SELECT t::text FROM "` + table + `" t`)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var row string
					if err := rows.Scan(&row); err != nil {
						t.Fatal(err)
					}
					hit("table "+table, []byte(row))
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
			}
		}
	})
}

// auditColumnsAsText concatenates an audit row's text columns.
const auditColumnsAsText = `actor_id || '|' || role || '|' || action || '|' || entity_type || '|' || entity_id || '|' ||
	client_id || '|' || clinic_id || '|' || outcome || '|' || addr || '|' || request_id || '|' || purpose || '|' || reason`
