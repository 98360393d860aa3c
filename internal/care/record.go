package care

import "time"

// Record is a client's whole record as one actor may see it, read at one
// moment (issue #8): what the right of access hands the client (45 CFR
// 164.524), what FHIR's Patient/$everything serves, and what a bulk
// export writes. It holds what the actor may see and nothing more: a
// private journal entry is in it only when the actor is the client
// themself, and the access log only for the client.
//
// Lists are in a stable order (oldest first unless said otherwise), so
// that the same record maps to the same document.
type Record struct {
	ReadAt time.Time // when it was read (the transaction's time)
	Actor  Actor     // for whom it was read
	Self   bool      // the actor is the client: private entries and the access log are in it

	Clinic   Clinic
	Client   User   // the client, with their email and name
	CareTeam []User // the providers of the care team now, by id; no emails
	// Staff are the other staff members the record names (providers who
	// left the team, admins in the access log, authors), by id; no emails.
	Staff []User

	Plan         *Plan         // goals (with objectives and comments) of the current version
	SafetyPlan   *SafetyPlan   // the current version; Version 0 when none was saved
	Tasks        []Task        // current tasks, oldest first; Occurrences holds the completed ones, by day
	Appointments []Appointment // sessions, by start
	Entries      []JournalEntry
	// Entries are the journal entries the actor may see, not deleted, by
	// the time they tell of. Goal progress is in them (GoalID and
	// GoalProgress).

	CheckInSchedule CheckInSchedule // Version 0: never set
	CheckIns        []CheckIn       // by due time; Mood only when the answer's entry is in Entries

	Measures  []MeasureSchedule // by creation
	Responses []MeasureResponse // by answer time, oldest first, with progress

	Messages []Message // the thread, oldest first, with attachments' metadata (never their content)

	// Trackers (#19): every tracker assigned, removed ones too, by
	// assignment; the entries the actor may see (as Entries: the care
	// team the shared ones), by the time they tell of; and each template
	// version a tracker or an entry names, by id and version.
	Trackers         []Tracker
	TrackerEntries   []TrackerEntry
	TrackerTemplates []TrackerTemplate

	Flags     []SafetyFlag       // safety flags, by time raised
	Screeners []ScreenerResponse // follow-up screener answers (issue #16), oldest first

	// AccessLog is the client's access report (AD-05): audit events about
	// the record by staff of the clinic, oldest first (Seq is the event's
	// position). Only when Self.
	AccessLog []AuditEvent
}

// Person returns the user of the record with id id: the client, a
// provider of the care team or another staff member it names; nil if none.
func (r *Record) Person(id string) *User {
	if id == "" {
		return nil
	}
	if r.Client.ID == id {
		return &r.Client
	}
	for i := range r.CareTeam {
		if r.CareTeam[i].ID == id {
			return &r.CareTeam[i]
		}
	}
	for i := range r.Staff {
		if r.Staff[i].ID == id {
			return &r.Staff[i]
		}
	}
	return nil
}

// ActionRecordReadAll is the audit action of reading a client's whole
// record at once (Store.ClientRecord): ids only, as every audit row.
const ActionRecordReadAll = "record.read_all"

// ActionClientPageRead is the audit action of reading the provider's
// client page (Store.ClientPage): one row per view of the page, rather
// than one per part of it, so the client's access report shows one line
// per look.
const ActionClientPageRead = "client-page.read"
