package demo

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestDemoOfficeHours (issue #18): the demo provider keeps office hours,
// weekdays 09:00 to 17:00 in their zone, so that Sam's message on a
// Saturday gets the automatic reply and his message on a Monday morning
// does not; the seeding itself, done at any hour, leaves no automatic
// reply in any thread.
func TestDemoOfficeHours(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		if _, err := Seed(ctx, db.Store, auth.TestParams()); err != nil {
			t.Fatal(err)
		}
		actor := func(email string) care.Actor {
			t.Helper()
			c, err := db.Store.CredentialsByEmail(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			return care.Actor{UserID: c.User.ID, ClinicID: c.User.ClinicID, Role: c.User.Role, TimeZone: c.User.TimeZone}
		}
		provider, sam := actor("provider@demo.interlude.test"), actor("sam@demo.interlude.test")
		h, err := db.Store.OfficeHours(ctx, provider)
		if err != nil {
			t.Fatal(err)
		}
		want := demoOfficeHours()
		if h.Empty() || !reflect.DeepEqual(h.Days, want.Days) || h.ResponseTime != "within 1 business day" || h.TimeZone != "America/Chicago" {
			t.Fatalf("the demo provider's office hours %+v", h)
		}
		list, err := db.Store.Caseload(ctx, provider)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			page, err := db.Store.Messages(ctx, provider, c.ID, store.MessageQuery{Limit: care.MaxMessagePageLimit})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page.Messages {
				if m.SenderRole == care.RoleSystem {
					t.Errorf("the seeding left an automatic reply in %s's thread", c.DisplayName)
				}
			}
		}

		chicago, err := time.LoadLocation("America/Chicago")
		if err != nil {
			t.Fatal(err)
		}
		day := db.Clock.Now().In(chicago)
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 12, 0, 0, 0, chicago)
		for day.Weekday() != time.Saturday {
			day = day.AddDate(0, 0, 1)
		}
		for _, at := range []struct {
			when  time.Time
			reply bool
		}{{day, true}, {day.AddDate(0, 0, 2).Add(-2 * time.Hour), false}} { // Saturday 12:00, Monday 10:00
			db.Clock.Set(at.when)
			m := &care.Message{Text: "a question about Thursday"}
			if _, err := db.Store.SendMessage(ctx, sam, sam.UserID, m); err != nil {
				t.Fatal(err)
			}
			if got := m.AutoReply != nil; got != at.reply {
				t.Errorf("%s: an automatic reply %v, want %v", at.when.Format("Mon 15:04 MST"), got, at.reply)
			}
			if m.AutoReply != nil && !strings.Contains(m.AutoReply.Text, "outside office hours") {
				t.Errorf("the automatic reply: %q", m.AutoReply.Text)
			}
		}
	})
}
