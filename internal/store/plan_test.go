package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// planCanary is a goal title that must never be stored in the clear.
const planCanary = "Walk the dog canary-7f3a every morning"

func samplePlan() []care.Goal {
	return []care.Goal{
		{Title: planCanary, ClinicalWording: "Behavioral activation", TargetDate: "2027-01-31",
			Objectives: []care.Objective{{Text: "Walk 10 minutes"}, {Text: "Walk 20 minutes", TargetDate: "2027-01-15", Status: care.ObjectiveOpen}}},
		{Title: "  Sleep before midnight  ", Status: care.GoalPaused},
	}
}

// wantCode fails unless err carries the care error code.
func wantCode(t *testing.T, what string, err error, code care.Code) {
	t.Helper()
	if got := care.ErrorCode(err); got != code {
		t.Fatalf("%s: got %v (%s), want %s", what, err, got, code)
	}
}

// wantField fails unless err is Invalid on field.
func wantField(t *testing.T, what string, err error, field string) {
	t.Helper()
	var e *care.Error
	if !errors.As(err, &e) || e.Code != care.Invalid || e.Field != field {
		t.Fatalf("%s: got %v, want invalid on %s", what, err, field)
	}
}

// TestPlanSaveAndRead: the care team saves the plan, which gets ids and a
// version; the client and the team read it; texts are sealed.
func TestPlanSaveAndRead(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Plan Clinic")
		provider, client := c.Actor(c.Provider), c.Actor(c.Client)

		empty, err := db.Store.Plan(ctx, client, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if empty.Version != 0 || len(empty.Goals) != 0 {
			t.Fatalf("a new client's plan: %+v", empty)
		}

		in := samplePlan()
		p, err := db.Store.SavePlan(ctx, provider, c.Client.ID, in, 0)
		if err != nil {
			t.Fatal(err)
		}
		if in[0].ID != "" || in[1].Title != "  Sleep before midnight  " {
			t.Errorf("SavePlan changed the caller's goals: %+v", in)
		}
		if p.Version != 1 || len(p.Goals) != 2 || p.UpdatedBy != c.Provider.ID {
			t.Fatalf("saved plan: %+v", p)
		}
		g := p.Goals[0]
		if !care.ValidID(g.ID) || g.Title != planCanary || g.ClinicalWording != "Behavioral activation" || g.TargetDate != "2027-01-31" || g.Status != care.GoalActive {
			t.Errorf("goal 0: %+v", g)
		}
		if len(g.Objectives) != 2 || !care.ValidID(g.Objectives[0].ID) || g.Objectives[0].Status != care.ObjectiveOpen || g.Objectives[1].TargetDate != "2027-01-15" {
			t.Errorf("objectives: %+v", g.Objectives)
		}
		if p.Goals[1].Title != "Sleep before midnight" || p.Goals[1].Status != care.GoalPaused {
			t.Errorf("goal 1: %+v", p.Goals[1])
		}

		for _, who := range []care.Actor{client, provider} {
			got, err := db.Store.Plan(ctx, who, c.Client.ID)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Goals) != fmt.Sprint(p.Goals) || got.Version != 1 {
				t.Errorf("%s reads %+v, want %+v", who.Role, got, p)
			}
		}
		for _, table := range []string{"goals", "objectives", "plan_versions"} {
			for _, s := range []string{"canary-7f3a", "Walk 10 minutes", "Behavioral activation"} {
				if tableHolds(t, db, table, s) {
					t.Errorf("%s holds %q in the clear", table, s)
				}
			}
		}
	})
}

// TestPlanAccess: only the client, their care team and an admin with a
// grant see the plan; only the care team changes it; everyone else finds
// nothing, exactly as for a client that does not exist.
func TestPlanAccess(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Access Clinic")
		b := storetest.SeedClinic(t, db.Store, "Elsewhere")
		if _, err := db.Store.SavePlan(ctx, c.Actor(c.Provider), c.Client.ID, samplePlan(), 0); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name     string
			actor    care.Actor
			clientID string
		}{
			{"another team's provider", c.Actor(c.OtherProvider), c.Client.ID},
			{"another client", c.Actor(c.OtherClient), c.Client.ID},
			{"the admin without a grant", c.Actor(c.Admin), c.Client.ID},
			{"another clinic's provider", b.Actor(b.Provider), c.Client.ID},
			{"another clinic's admin", b.Actor(b.Admin), c.Client.ID},
			{"a provider, a client that does not exist", c.Actor(c.Provider), care.NewID()},
			{"a provider, a malformed id", c.Actor(c.Provider), "../x"},
			{"a provider, a provider's id", c.Actor(c.Provider), c.OtherProvider.ID},
		} {
			_, err := db.Store.Plan(ctx, tt.actor, tt.clientID)
			if !errors.Is(err, care.ErrNotFound) || !store.Audited(err) {
				t.Errorf("%s reads: %v", tt.name, err)
			}
			if e := lastEvent(t, db, tt.actor.ClinicID); e.action != "plan.read" || e.outcome != "denied" || e.actor != tt.actor.UserID {
				t.Errorf("%s reads: audit %+v", tt.name, e)
			}
			_, err = db.Store.SavePlan(ctx, tt.actor, tt.clientID, samplePlan(), store.AnyVersion)
			if !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s saves: %v", tt.name, err)
			}
			_, err = db.Store.PlanVersions(ctx, tt.actor, tt.clientID, 0, 0)
			if !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s reads the history: %v", tt.name, err)
			}
		}
		if n := countRows(t, db, "plan_versions"); n != 1 {
			t.Errorf("%d plan versions after refused saves, want 1", n)
		}

		// The client reads but does not write, nor see the history.
		_, err := db.Store.SavePlan(ctx, c.Actor(c.Client), c.Client.ID, samplePlan(), store.AnyVersion)
		wantCode(t, "the client saves", err, care.Forbidden)
		_, err = db.Store.PlanVersions(ctx, c.Actor(c.Client), c.Client.ID, 0, 0)
		wantCode(t, "the client reads the history", err, care.Forbidden)

		// An admin with a break-glass grant reads, audited as such, and
		// changes nothing.
		g, err := db.Store.StartBreakGlass(ctx, c.Actor(c.Admin), c.Client.ID, "Provider unreachable, urgent safety review")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Plan(ctx, c.Actor(c.Admin), c.Client.ID); err != nil {
			t.Fatalf("the admin with a grant: %v", err)
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "plan.read" || e.outcome != "success" || e.purpose != care.PurposeBreakGlass || e.reason != care.GrantAuditReason(g.ID) {
			t.Errorf("the admin's read: audit %+v", e)
		}
		_, err = db.Store.SavePlan(ctx, c.Actor(c.Admin), c.Client.ID, samplePlan(), store.AnyVersion)
		wantCode(t, "the admin with a grant saves", err, care.Forbidden)
	})
}

// TestPlanVersions: every save keeps a version with who and when; an old
// version reads as it was; a stale base version is a conflict.
func TestPlanVersions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Versions Clinic")
		provider := c.Actor(c.Provider)
		provider.Name = "provider"
		v1, err := db.Store.SavePlan(ctx, provider, c.Client.ID, samplePlan(), 0)
		if err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(3600e9)

		// Keep goal 0 (renamed, one objective dropped, one added), take goal
		// 1 out, add a new goal.
		kept := v1.Goals[0].Objectives[1].ID
		goals := slices.Clone(v1.Goals)
		goals[0].Title = "Walk the dog most mornings"
		goals[0].Objectives = []care.Objective{goals[0].Objectives[1], {Text: "Walk with a friend"}}
		goals = []care.Goal{{Title: "Call my sister weekly"}, goals[0]}
		v2, err := db.Store.SavePlan(ctx, provider, c.Client.ID, goals, 1)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Version != 2 || len(v2.Goals) != 2 || v2.Goals[1].ID != v1.Goals[0].ID || v2.Goals[1].Title != "Walk the dog most mornings" {
			t.Fatalf("version 2: %+v", v2)
		}
		if o := v2.Goals[1].Objectives; len(o) != 2 || o[0].ID != kept || o[1].Text != "Walk with a friend" {
			t.Errorf("version 2 objectives: %+v", o)
		}
		if n := countRows(t, db, "objectives"); n != 2 {
			t.Errorf("%d objectives stored, want 2", n)
		}

		_, err = db.Store.SavePlan(ctx, provider, c.Client.ID, goals, 1)
		wantCode(t, "a save from version 1 after version 2", err, care.Conflict)

		vs, err := db.Store.PlanVersions(ctx, provider, c.Client.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 || vs[0].ChangedBy != c.Provider.ID || vs[0].ChangedByName != "provider" ||
			!vs[0].ChangedAt.After(vs[1].ChangedAt) {
			t.Errorf("versions: %+v", vs)
		}
		if page, _ := db.Store.PlanVersions(ctx, provider, c.Client.ID, 2, 10); len(page) != 1 || page[0].Version != 1 {
			t.Errorf("versions before 2: %+v", page)
		}
		old, err := db.Store.PlanVersion(ctx, provider, c.Client.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(old.Goals) != 2 || old.Goals[0].Title != planCanary || len(old.Goals[0].Objectives) != 2 || old.UpdatedBy != c.Provider.ID {
			t.Errorf("version 1 as read back: %+v", old)
		}
		_, err = db.Store.PlanVersion(ctx, provider, c.Client.ID, 9)
		wantCode(t, "a version that does not exist", err, care.NotFound)

		// A goal taken out can be put back by its id.
		back, err := db.Store.SavePlan(ctx, provider, c.Client.ID, append(v2.Goals, care.Goal{ID: v1.Goals[1].ID, Title: "Sleep again"}), store.AnyVersion)
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Goals) != 3 || back.Goals[2].ID != v1.Goals[1].ID || back.Version != 3 {
			t.Errorf("the goal put back: %+v", back)
		}
	})
}

// TestPlanValidation: malformed plans are refused naming the field, and
// store nothing.
func TestPlanValidation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Valid Clinic")
		provider := c.Actor(c.Provider)
		other, err := db.Store.SavePlan(ctx, c.Actor(c.OtherProvider), c.OtherClient.ID, samplePlan(), 0)
		if err != nil {
			t.Fatal(err)
		}
		many := make([]care.Goal, 21)
		for i := range many {
			many[i].Title = "goal"
		}
		manyObjectives := make([]care.Objective, 21)
		for i := range manyObjectives {
			manyObjectives[i].Text = "step"
		}
		for _, tt := range []struct {
			field string
			goals []care.Goal
		}{
			{"goals", many},
			{"goals[1].title", []care.Goal{{Title: "ok"}, {Title: "   "}}},
			{"goals[0].title", []care.Goal{{Title: strings.Repeat("x", 301)}}},
			{"goals[0].title", []care.Goal{{Title: "bell\a"}}},
			{"goals[0].clinical_wording", []care.Goal{{Title: "ok", ClinicalWording: strings.Repeat("y", 1001)}}},
			{"goals[0].target_date", []care.Goal{{Title: "ok", TargetDate: "2027-02-30"}}},
			{"goals[0].target_date", []care.Goal{{Title: "ok", TargetDate: "31/01/2027"}}},
			{"goals[0].status", []care.Goal{{Title: "ok", Status: "done"}}},
			{"goals[0].objectives", []care.Goal{{Title: "ok", Objectives: manyObjectives}}},
			{"goals[0].objectives[1].text", []care.Goal{{Title: "ok", Objectives: []care.Objective{{Text: "a"}, {Text: ""}}}}},
			{"goals[0].objectives[0].status", []care.Goal{{Title: "ok", Objectives: []care.Objective{{Text: "a", Status: "active"}}}}},
			{"goals[0].objectives[0].target_date", []care.Goal{{Title: "ok", Objectives: []care.Objective{{Text: "a", TargetDate: "tomorrow"}}}}},
			{"goals[0].id", []care.Goal{{ID: "not-an-id", Title: "ok"}}},
			{"goals[0].id", []care.Goal{{ID: other.Goals[0].ID, Title: "another client's goal"}}},
			{"goals[1].id", nil}, // the same id twice: below
			{"goals[0].objectives[0].id", []care.Goal{{Title: "ok", Objectives: []care.Objective{{ID: other.Goals[0].Objectives[0].ID, Text: "theirs"}}}}},
		} {
			if tt.goals == nil {
				id := care.NewID()
				tt.goals = []care.Goal{{ID: id, Title: "x"}, {ID: id, Title: "y"}}
			}
			_, err := db.Store.SavePlan(ctx, provider, c.Client.ID, tt.goals, store.AnyVersion)
			wantField(t, tt.field, err, tt.field)
		}
		for table, want := range map[string]int{"plan_versions": 1, "goals": 2, "objectives": 2} {
			if n := countRows(t, db, table); n != want {
				t.Errorf("%s: %d rows after refused saves, want %d", table, n, want)
			}
		}
		if _, err := db.Store.SavePlan(ctx, provider, c.Client.ID, many[:20], store.AnyVersion); err != nil {
			t.Errorf("20 goals: %v", err)
		}
	})
}

// TestGoalComments: the client and the care team comment on a goal; the
// comments show under it with their authors; nobody else can.
func TestGoalComments(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Comment Clinic")
		p, err := db.Store.SavePlan(ctx, c.Actor(c.Provider), c.Client.ID, samplePlan(), 0)
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.Store.SavePlan(ctx, c.Actor(c.OtherProvider), c.OtherClient.ID, samplePlan(), 0)
		if err != nil {
			t.Fatal(err)
		}
		goal := p.Goals[0].ID
		mine, err := db.Store.AddGoalComment(ctx, c.Actor(c.Client), c.Client.ID, goal, "  I walked twice comment-canary-91  ")
		if err != nil {
			t.Fatal(err)
		}
		if mine.Text != "I walked twice comment-canary-91" || mine.AuthorName != "client" {
			t.Errorf("the client's comment: %+v", mine)
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "goal-comment.create" || e.outcome != "success" || e.client != c.Client.ID {
			t.Errorf("audit: %+v", e)
		}
		db.Clock.Advance(1e9)
		if _, err := db.Store.AddGoalComment(ctx, c.Actor(c.Provider), c.Client.ID, goal, "Great start"); err != nil {
			t.Fatal(err)
		}
		got, err := db.Store.Plan(ctx, c.Actor(c.Provider), c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		cs := got.Goals[0].Comments
		if len(cs) != 2 || cs[0].AuthorID != c.Client.ID || cs[0].AuthorName != "client" || cs[0].AuthorRole != care.RoleClient ||
			cs[1].AuthorName != "provider" || cs[1].AuthorRole != care.RoleProvider || cs[1].Text != "Great start" {
			t.Errorf("comments: %+v", cs)
		}
		if len(got.Goals[1].Comments) != 0 {
			t.Errorf("goal 1 has comments: %+v", got.Goals[1].Comments)
		}
		if tableHolds(t, db, "goal_comments", "comment-canary-91") {
			t.Error("goal_comments holds a comment in the clear")
		}

		_, err = db.Store.AddGoalComment(ctx, c.Actor(c.OtherProvider), c.Client.ID, goal, "hi")
		wantCode(t, "another team's provider", err, care.NotFound)
		_, err = db.Store.AddGoalComment(ctx, c.Actor(c.Admin), c.Client.ID, goal, "hi")
		wantCode(t, "the admin", err, care.NotFound)
		_, err = db.Store.AddGoalComment(ctx, c.Actor(c.Client), c.Client.ID, other.Goals[0].ID, "hi")
		wantCode(t, "another client's goal", err, care.NotFound)
		_, err = db.Store.AddGoalComment(ctx, c.Actor(c.Client), c.Client.ID, goal, " ")
		wantField(t, "an empty comment", err, "text")
		_, err = db.Store.AddGoalComment(ctx, c.Actor(c.Client), c.Client.ID, goal, strings.Repeat("é", 2001))
		wantField(t, "a long comment", err, "text")
		if _, err = db.Store.AddGoalComment(ctx, c.Actor(c.Client), c.Client.ID, goal, strings.Repeat("é", 2000)); err != nil {
			t.Errorf("a comment of 2000 characters: %v", err)
		}
		if n := countRows(t, db, "goal_comments"); n != 3 {
			t.Errorf("%d comments, want 3", n)
		}

		// A goal taken out of the plan takes no more comments.
		if _, err := db.Store.SavePlan(ctx, c.Actor(c.Provider), c.Client.ID, got.Goals[1:], store.AnyVersion); err != nil {
			t.Fatal(err)
		}
		_, err = db.Store.AddGoalComment(ctx, c.Actor(c.Client), c.Client.ID, goal, "hi")
		wantCode(t, "a goal taken out", err, care.NotFound)
	})
}
