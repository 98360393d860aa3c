package store

import (
	"context"
	"slices"
	"time"

	"interlude/internal/care"
)

// The provider's client page (issue #18): everything /clients/{id} shows,
// read in one read transaction and audited once, as a read of the record
// (ids only). Each part is read by the tx-level helper its own public
// method uses (readClient, loadPlan, sessionSummary, ...), so the SQL,
// and the access filter in it, is the same on both paths.

// ClientPageParts are the parts of the client page ClientPage reads, as
// bits; the client, the session summary and the open safety flags it
// always reads. Zero reads every part.
type ClientPageParts uint

// The parts of the client page.
const (
	PagePlan     ClientPageParts = 1 << iota // Plan
	PageSessions                             // Sessions
	PageTasks                                // Tasks
	PageVersions                             // Versions
	PageJournal                              // Entries and Moods
	PageMeasures                             // Measures
	PageCheckIns                             // CheckIns
)

// ClientPageQuery says which parts of the client page ClientPage reads,
// and how much of each. A zero count reads that method's default.
type ClientPageQuery struct {
	Parts     ClientPageParts // 0: all
	Sessions  int             // the latest sessions (Appointments)
	Versions  int             // the newest plan versions (PlanVersions)
	Entries   int             // the newest shared journal entries (Entries)
	MoodSince time.Time       // the first moment of the mood chart (MoodPoints)
	CheckIns  int             // the last check-ins (CheckIns)
}

// ClientPage is the client page's data: what Client, Plan,
// SessionSummary, Appointments, Tasks, PlanVersions, Entries, MoodPoints,
// Measures, CheckIns and ListOpenFlags return, read at one moment. A part
// the query left out is its zero value (nil, or an empty EntryPage and
// CheckInOverview).
type ClientPage struct {
	Client     *care.User
	Plan       *care.Plan
	Last, Next *care.Appointment
	Sessions   []care.Appointment
	Tasks      *TaskList
	Versions   []care.PlanVersion
	Entries    EntryPage // the newest shared entries
	Moods      []care.MoodPoint
	Measures   *MeasureList
	CheckIns   CheckInOverview
	Flags      []care.SafetyFlag // open, oldest first
}

// ClientPage reads client clientID's page for their care team, in one
// read transaction audited once (care.ActionClientPageRead). Only the care
// team may: a provider of the client's care team, or an admin through an
// open break-glass grant (audited as such). The client themself gets
// care.Forbidden (as from PlanVersions), anyone else care.ErrNotFound, as
// for a client who does not exist; a shredded client is ErrShredded.
func (s *Store) ClientPage(ctx context.Context, actor care.Actor, clientID string, q ClientPageQuery) (*ClientPage, error) {
	q.Sessions = limitOr(q.Sessions, 500, 100)
	q.Versions = limitOr(q.Versions, 200, 50)
	q.CheckIns = limitOr(q.CheckIns, 200, 30)
	if q.Entries <= 0 {
		q.Entries = care.EntryPageSize
	}
	q.Entries = min(q.Entries, care.MaxEntryPageLimit)
	if q.Parts == 0 {
		q.Parts = ^ClientPageParts(0)
	}
	has := func(p ClientPageParts) bool { return q.Parts&p != 0 }
	ev, err := s.recordEvent(ctx, actor, care.ActionClientPageRead, "client", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var out *ClientPage
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		out = nil
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if rec.Self {
			return care.Errorf(care.Forbidden, "the client page is for the care team") // as PlanVersions
		}
		// Most values below are sealed under the client's key: load it
		// once, before any result set is open (warmKey).
		s.warmKey(ctx, tx, rec.ClinicID, rec.ID)
		r := &ClientPage{}
		if r.Client, err = s.readClient(ctx, tx, actor, clientID); err != nil {
			return err
		}
		if has(PagePlan) {
			if r.Plan, err = s.loadPlan(ctx, tx, rec); err != nil {
				return err
			}
		}
		if r.Last, r.Next, err = tx.sessionSummary(ctx, rec); err != nil {
			return err
		}
		if has(PageSessions) {
			if r.Sessions, err = tx.appointments(ctx, rec, q.Sessions); err != nil {
				return err
			}
		}
		if has(PageTasks) {
			if r.Tasks, err = s.taskList(ctx, tx, rec); err != nil {
				return err
			}
		}
		if has(PageVersions) {
			if r.Versions, err = tx.planVersions(ctx, rec, 1<<30, q.Versions); err != nil {
				return err
			}
		}
		if has(PageJournal) {
			if r.Entries, err = s.entryPage(ctx, tx, actor, clientID, EntryQuery{Limit: q.Entries}); err != nil {
				return err
			}
		}
		if has(PageJournal) && !q.MoodSince.IsZero() {
			chart, err := s.entryPage(ctx, tx, actor, clientID, EntryQuery{Since: q.MoodSince, Limit: maxChartEntries})
			if err != nil {
				return err
			}
			r.Moods = moodPoints(chart.Entries)
		}
		if has(PageMeasures) {
			if r.Measures, err = s.measureList(ctx, tx, rec); err != nil {
				return err
			}
		}
		if has(PageCheckIns) {
			if r.CheckIns, err = s.checkInOverview(ctx, tx, actor, clientID, q.CheckIns); err != nil {
				return err
			}
		}
		if r.Flags, err = s.flagList(ctx, tx, actor, clientID, true); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// limitOr is n when it is within 1..most, else def.
func limitOr(n, most, def int) int {
	if n <= 0 || n > most {
		return def
	}
	return n
}

// moodPoints are the mood ratings of entries (newest first), oldest first.
func moodPoints(entries []care.JournalEntry) []care.MoodPoint {
	points := []care.MoodPoint{}
	for _, e := range slices.Backward(entries) {
		if e.Mood != nil {
			points = append(points, care.MoodPoint{At: e.OccurredAt, Mood: *e.Mood})
		}
	}
	return points
}
