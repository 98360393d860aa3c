package store_test

import (
	"context"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestAppointments: the care team schedules and marks sessions; the
// client reads them; the last held and the next scheduled one drive the
// homes; nobody else sees any.
func TestAppointments(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Session Clinic")
		provider, client := c.Actor(c.Provider), c.Actor(c.Client)
		provider.Name = "provider"
		now := db.Clock.Now()

		last, next, err := db.Store.SessionSummary(ctx, client, c.Client.ID)
		if err != nil || last != nil || next != nil {
			t.Fatalf("no sessions yet: %v %v %v", last, next, err)
		}

		past := &care.Appointment{StartsAt: now.Add(-7 * 24 * time.Hour), Status: care.AppointmentHeld}
		if err := db.Store.CreateAppointment(ctx, provider, c.Client.ID, past); err != nil {
			t.Fatal(err)
		}
		if past.Minutes != 50 || past.ProviderID != c.Provider.ID || !care.ValidID(past.ID) {
			t.Errorf("a recorded session: %+v", past)
		}
		soon := &care.Appointment{StartsAt: now.Add(2 * 24 * time.Hour), Minutes: 45}
		later := &care.Appointment{StartsAt: now.Add(9 * 24 * time.Hour)}
		for _, a := range []*care.Appointment{later, soon} {
			if err := db.Store.CreateAppointment(ctx, provider, c.Client.ID, a); err != nil {
				t.Fatal(err)
			}
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "appointment.create" || e.outcome != "success" || e.client != c.Client.ID {
			t.Errorf("audit: %+v", e)
		}

		list, err := db.Store.Appointments(ctx, client, c.Client.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[0].ID != later.ID || list[2].ID != past.ID || list[1].Minutes != 45 || list[1].ProviderName != "provider" {
			t.Errorf("sessions: %+v", list)
		}
		last, next, err = db.Store.SessionSummary(ctx, client, c.Client.ID)
		if err != nil || last == nil || next == nil || last.ID != past.ID || next.ID != soon.ID {
			t.Fatalf("summary: last %+v next %+v %v", last, next, err)
		}

		// Holding a session before it starts is refused; cancelling is not.
		held := care.AppointmentHeld
		_, err = db.Store.UpdateAppointment(ctx, provider, c.Client.ID, soon.ID, care.AppointmentChange{Status: &held})
		wantField(t, "held before it starts", err, "status")
		cancelled := care.AppointmentCancelled
		a, err := db.Store.UpdateAppointment(ctx, provider, c.Client.ID, soon.ID, care.AppointmentChange{Status: &cancelled})
		if err != nil || a.Status != care.AppointmentCancelled {
			t.Fatalf("cancelling: %+v %v", a, err)
		}
		_, next, _ = db.Store.SessionSummary(ctx, client, c.Client.ID)
		if next == nil || next.ID != later.ID {
			t.Errorf("next after cancelling: %+v", next)
		}

		// The session is held once it has started.
		db.Clock.Advance(9*24*time.Hour + time.Minute)
		_, next, _ = db.Store.SessionSummary(ctx, client, c.Client.ID)
		if next == nil || next.ID != later.ID {
			t.Errorf("a session under way is still the next: %+v", next)
		}
		minutes := 60
		a, err = db.Store.UpdateAppointment(ctx, provider, c.Client.ID, later.ID, care.AppointmentChange{Status: &held, Minutes: &minutes})
		if err != nil || a.Status != care.AppointmentHeld || a.Minutes != 60 {
			t.Fatalf("holding: %+v %v", a, err)
		}
		last, next, _ = db.Store.SessionSummary(ctx, provider, c.Client.ID)
		if last == nil || last.ID != later.ID || next != nil {
			t.Errorf("after holding: last %+v next %+v", last, next)
		}

		// Validation.
		for _, tt := range []struct {
			field string
			a     care.Appointment
		}{
			{"starts_at", care.Appointment{}},
			{"minutes", care.Appointment{StartsAt: now, Minutes: 4}},
			{"minutes", care.Appointment{StartsAt: now, Minutes: 481}},
			{"status", care.Appointment{StartsAt: now, Status: "missed"}},
			{"starts_at", care.Appointment{StartsAt: now.AddDate(3, 0, 0)}},
		} {
			err := db.Store.CreateAppointment(ctx, provider, c.Client.ID, &tt.a)
			wantField(t, tt.field, err, tt.field)
		}
		_, err = db.Store.UpdateAppointment(ctx, provider, c.Client.ID, later.ID, care.AppointmentChange{})
		wantCode(t, "an empty change", err, care.Invalid)

		// Access.
		err = db.Store.CreateAppointment(ctx, client, c.Client.ID, &care.Appointment{StartsAt: now})
		wantCode(t, "the client schedules", err, care.Forbidden)
		_, err = db.Store.UpdateAppointment(ctx, client, c.Client.ID, later.ID, care.AppointmentChange{Status: &cancelled})
		wantCode(t, "the client cancels", err, care.Forbidden)
		for name, actor := range map[string]care.Actor{"another team's provider": c.Actor(c.OtherProvider), "the admin": c.Actor(c.Admin), "another client": c.Actor(c.OtherClient)} {
			_, err := db.Store.Appointments(ctx, actor, c.Client.ID, 0)
			wantCode(t, name+" lists", err, care.NotFound)
			_, _, err = db.Store.SessionSummary(ctx, actor, c.Client.ID)
			wantCode(t, name+" summary", err, care.NotFound)
			err = db.Store.CreateAppointment(ctx, actor, c.Client.ID, &care.Appointment{StartsAt: now})
			wantCode(t, name+" schedules", err, care.NotFound)
			_, err = db.Store.UpdateAppointment(ctx, actor, c.Client.ID, later.ID, care.AppointmentChange{Status: &cancelled})
			wantCode(t, name+" cancels", err, care.NotFound)
		}
		// A session of another client, named through this one.
		theirs := &care.Appointment{StartsAt: now}
		if err := db.Store.CreateAppointment(ctx, c.Actor(c.OtherProvider), c.OtherClient.ID, theirs); err != nil {
			t.Fatal(err)
		}
		_, err = db.Store.UpdateAppointment(ctx, provider, c.Client.ID, theirs.ID, care.AppointmentChange{Status: &cancelled})
		wantCode(t, "another client's session", err, care.NotFound)
	})
}
