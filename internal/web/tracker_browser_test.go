package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"interlude/internal/care"
)

// TestBrowserTrackers is issue #19's walk on a 375 px phone: the provider
// assigns the thought record and the sleep diary from the clinic's
// library to Alex (a demo client with no tracker yet); Alex sees both on
// Home, fills in each once, the sleep diary shared and the thought record
// private, and sees the sleep diary's chart on /trackers; the provider
// finds the shared entry in the brief and on the trackers page, and
// nothing of the private one there. With -screenshots it saves
// tracker-form-375.png and brief-trackers-1280.png.
func TestBrowserTrackers(t *testing.T) {
	t.Parallel()
	site := startCareSite(t)
	ctx := context.Background()
	var alex struct{ email, password, id string }
	for _, l := range site.logins {
		if l.Role == care.RoleClient && l.Email != site.client.Email {
			alex.email, alex.password = l.Email, l.Password
		}
	}
	if alex.email == "" {
		t.Fatal("the demo has no second client")
	}
	creds, err := site.store.CredentialsByEmail(ctx, alex.email)
	if err != nil {
		t.Fatal(err)
	}
	alex.id = creds.User.ID
	pcreds, err := site.store.CredentialsByEmail(ctx, site.provider.Email)
	if err != nil {
		t.Fatal(err)
	}
	dana := care.Actor{UserID: pcreds.User.ID, ClinicID: pcreds.User.ClinicID, Role: pcreds.User.Role}
	tmpls, err := site.store.TrackerTemplates(ctx, dana, false)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, tm := range tmpls {
		ids[tm.Key] = tm.ID
	}

	// The provider assigns both from the library.
	provider := site.signInProvider(t)
	trackersPage := "/clients/" + alex.id + "/trackers"
	provider.open(site.url + trackersPage)
	for i, key := range []string{care.TrackerKeyThoughtRecord, care.TrackerKeySleepDiary} {
		provider.do("choose "+key, chromedp.SetValue(chromedp.CSS(`#assign-template`), ids[key]))
		if resp := provider.submit("assign "+key, `form[action="`+trackersPage+`"]`); resp.Status != http.StatusOK {
			t.Fatalf("assigning %s: status %d", key, resp.Status)
		}
		provider.wantPath(trackersPage)
		if n := provider.count(`section.tracker`); n != i+1 {
			t.Fatalf("after assigning %s: %d trackers on the page", key, n)
		}
	}
	trackers, err := site.store.TrackersOfClient(ctx, dana, alex.id, false)
	if err != nil || len(trackers) != 2 {
		t.Fatalf("Alex's trackers: %d, %v", len(trackers), err)
	}
	trID := map[string]string{}
	for _, tr := range trackers {
		trID[tr.Template.Key] = tr.ID
	}

	// Alex, on a phone, sees them on Home.
	client := site.browser.person(t, "alex", true)
	client.open(site.url + "/signin")
	client.signIn(alex.email, alex.password, "/")
	card := client.text(`.trackers-home`)
	for _, want := range []string{"This week your care team asked you to", "Sleep diary", "Due today", "Thought record"} {
		if !strings.Contains(card, want) {
			t.Errorf("Alex's Home card lacks %q: %q", want, card)
		}
	}

	// The sleep diary, shared.
	fillIn := client.attr(`.trackers-home a[href="/trackers/`+trID[care.TrackerKeySleepDiary]+`/new"]`, "href")
	client.open(site.url + fillIn)
	client.fill("#f-into_bed", "23:15")
	client.fill("#f-out_of_bed", "07:05")
	client.fill("#f-minutes_to_fall_asleep", "25")
	client.do("rate the night 4", chromedp.Click(chromedp.CSS(`label[for="f-quality-3"]`)))
	client.fill("#f-note", "Read a paper book before bed")
	client.eval(`(() => { document.querySelector("#shared").checked = true; return true })()`)
	client.docShot("tracker-form", phoneWidth)
	if resp := client.submit("save the sleep diary", `form.tracker-form`); resp.Status != http.StatusOK {
		t.Fatalf("saving the sleep diary: status %d", resp.Status)
	}
	client.wantPath("/trackers")

	// The thought record, private.
	client.open(site.url + "/trackers/" + trID[care.TrackerKeyThoughtRecord] + "/new")
	client.fill("#f-situation", "The team meeting ran late again")
	client.do("rate the feeling 7", chromedp.Click(chromedp.CSS(`label[for="f-feeling_before-7"]`)))
	client.fill("#f-thought", "They must think I am too slow for this job")
	client.eval(`(() => { document.querySelector("#shared").checked = false; return true })()`)
	if resp := client.submit("save the thought record", `form.tracker-form`); resp.Status != http.StatusOK {
		t.Fatalf("saving the thought record: status %d", resp.Status)
	}
	client.wantPath("/trackers")
	if n := client.count(`#tracker-` + trID[care.TrackerKeySleepDiary] + ` figure.chart circle.point`); n != 1 {
		t.Errorf("the sleep diary's chart has %d points, want 1", n)
	}
	if n := client.count(`#tracker-` + trID[care.TrackerKeyThoughtRecord] + ` figure.chart circle.point`); n != 1 {
		t.Errorf("the thought record's chart has %d points, want 1", n)
	}
	if mine := client.text("main"); !strings.Contains(mine, "They must think I am too slow") {
		t.Errorf("Alex's own page lacks the private entry")
	}

	// The provider: the shared entry in the brief and on the trackers
	// page, nothing of the private one.
	provider.open(site.url + "/clients/" + alex.id + "/brief")
	brief := provider.text(`#trackers`)
	for _, want := range []string{"Sleep diary", "Read a paper book before bed", "Thought record", "0 entries"} {
		if !strings.Contains(brief, want) {
			t.Errorf("the brief's trackers lack %q: %q", want, brief)
		}
	}
	if n := provider.count(`#trackers figure.chart circle.point`); n != 1 {
		t.Errorf("the brief's tracker charts have %d points, want the shared one", n)
	}
	for _, page := range []string{"/clients/" + alex.id + "/brief", trackersPage} {
		provider.open(site.url + page)
		if all := provider.text("main"); strings.Contains(all, "too slow") || strings.Contains(all, "team meeting") {
			t.Errorf("%s shows the private entry", page)
		}
	}
	provider.open(site.url + "/clients/" + alex.id + "/brief#trackers")
	provider.docShot("brief-trackers", deskWidth)
	site.browser.checkMessages(t)
}
