package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"interlude/internal/care"
)

// Secure messaging (issue #6). A thread is a client's, with their care
// team: every query filters by visibleClient, so the client and the
// providers on the care team see it, an admin only through break-glass
// (read-only), and everyone else gets care.ErrNotFound as for a client
// that does not exist. Texts are sealed under the client's data key. Each
// message and read receipt also appends a row to message_events, whose
// seq is the id of the real-time event (Last-Event-ID), in the same
// transaction as the change and its audit row.

// messageField is the sealed text of a message.
func messageField(clinicID, clientID, messageID string) field {
	return field{clinic: clinicID, client: clientID, owner: clientID, table: "messages", column: "body", row: messageID}
}

// messageColumns are what scanMessage reads, of messages m. read_at is the
// first read by a recipient (anyone but the sender); the last column is
// whether the message raised a safety flag (crisis language), read through
// the flags' unique (kind, source_type, source_id) index.
const messageColumns = `m.id, m.clinic_id, m.client_id, m.sender_id, m.sender_role, m.sent_at, m.body_sealed,
	(SELECT min(r.read_at) FROM message_reads r WHERE r.message_id = m.id AND r.user_id <> m.sender_id),
	m.version, m.edited_at, m.attachments,
	EXISTS (SELECT 1 FROM safety_flags sf WHERE sf.kind = 'crisis_language' AND sf.source_type = 'message' AND sf.source_id = m.id)`

func (s *Store) scanMessage(ctx context.Context, tx tx, row interface{ Scan(...any) error }, m *care.Message) error {
	var sent int64
	var read, edited sql.NullInt64
	var sealed []byte
	var attachments int
	if err := row.Scan(&m.ID, &m.ClinicID, &m.ClientID, &m.SenderID, &m.SenderRole, &sent, &sealed, &read,
		&m.Version, &edited, &attachments, &m.Flagged); err != nil {
		return err
	}
	m.SentAt = fromMicros(sent)
	if read.Valid {
		m.ReadAt = fromMicros(read.Int64)
	}
	if edited.Valid {
		m.EditedAt = fromMicros(edited.Int64)
	}
	m.Attachments = nil
	if attachments > 0 {
		m.Attachments = make([]care.Attachment, 0, attachments) // listed by listAttachments
	}
	plain, err := s.openValue(ctx, tx, messageField(m.ClinicID, m.ClientID, m.ID), sealed)
	if err != nil {
		return err
	}
	m.Text = string(plain)
	return nil
}

// threadAudience is who a thread's events are for: the client and the
// providers on their care team.
func (tx tx) threadAudience(ctx context.Context, clinicID, clientID string) ([]string, error) {
	out := []string{clientID}
	rows, err := tx.QueryContext(ctx,
		`SELECT provider_id FROM care_team WHERE client_id = $1 AND clinic_id = $2 ORDER BY provider_id`, clientID, clinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// appendMessageEvent records ev in message_events and sets its Seq and
// Audience. A write that runs again sets them again.
//
// On PostgreSQL an identity value is taken at insert, not at commit, so
// two transactions could commit their events out of seq order and a
// stream resuming after the higher one would never see the lower. A
// transaction-scoped advisory lock, held to commit, makes seq order
// commit order (SQLite has one writer already). It serializes the tail
// of message writes; bench (issue #6) will say whether that matters.
func (s *Store) appendMessageEvent(ctx context.Context, tx tx, ev *care.MessageEvent) error {
	// The event is delivered to real-time streams once committed
	// (live.go): on PostgreSQL by a wake-up notification, sent with the
	// lock, that every instance's listener hears at commit.
	pg := s.Engine() == "postgres"
	if pg {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7006), pg_notify(`+liveChannelSQL+`, $1)`, wakePayload); err != nil {
			return err
		}
	}
	if err := tx.QueryRowContext(ctx,
		`INSERT INTO message_events (clinic_id, client_id, kind, message_id, user_id, at)
		 VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
		ev.ClinicID, ev.ClientID, ev.Kind, ev.MessageID, ev.UserID, micros(ev.At)).Scan(&ev.Seq); err != nil {
		return err
	}
	aud, err := tx.threadAudience(ctx, ev.ClinicID, ev.ClientID)
	ev.Audience = aud
	if err == nil && !pg {
		tx.messageEvent(*ev)
	}
	return err
}

// SendMessage writes a message from the actor in client clientID's thread.
// The client and providers of the care team may; an admin who sees the
// client through break-glass gets care.Forbidden; anyone else
// care.ErrNotFound. On success m holds the stored message, and the event
// to publish, once committed, is returned. A JobNotifyMessage job for
// each other member of the thread commits with the message.
func (s *Store) SendMessage(ctx context.Context, actor care.Actor, clientID string, m *care.Message) (care.MessageEvent, error) {
	ev := Event(actor, "message.create", "message", "")
	ev.ClientID = clientID
	var me care.MessageEvent
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		if !care.CanWriteMessage(actor, clientID) {
			return care.Errorf(care.Forbidden, "you may read this thread but not write in it")
		}
		if err := care.ValidateMessageText(m.Text); err != nil {
			return err
		}
		if err := validateAttachments(m.Attachments); err != nil {
			return err
		}
		if err := s.checkClientMayWrite(ctx, tx, actor, clientID); err != nil {
			return err
		}
		m.ID, m.ClinicID, m.ClientID, m.SenderID, m.SenderRole, m.SentAt = care.NewID(), actor.ClinicID, clientID, actor.UserID, actor.Role, tx.now
		m.Version, m.EditedAt = 1, time.Time{}
		sealed, err := s.sealValue(ctx, tx, messageField(m.ClinicID, m.ClientID, m.ID), []byte(m.Text))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO messages (id, clinic_id, client_id, sender_id, sender_role, sent_at, body_sealed, attachments)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			m.ID, m.ClinicID, m.ClientID, m.SenderID, string(m.SenderRole), micros(m.SentAt), sealed, len(m.Attachments)); err != nil {
			return err
		}
		if err := s.insertAttachments(ctx, tx, actor, m); err != nil {
			return err
		}
		// Everyone else in the thread who has a channel is told, durably:
		// the jobs commit with the message or not at all (TS-02: ids
		// only). They are found before the event takes its lock.
		to, err := s.notifiableMembers(ctx, tx, m.ClinicID, clientID, actor.UserID)
		if err != nil {
			return err
		}
		for _, u := range to {
			if _, err := tx.enqueueJob(ctx, Job{Kind: JobNotifyMessage, ClinicID: m.ClinicID, ClientID: clientID, UserID: u,
				RefID: m.ID, DedupeKey: JobNotifyMessage + ":" + m.ID + ":" + u}); err != nil {
				return err
			}
		}
		ev.EntityID = m.ID
		me = care.MessageEvent{Kind: "message", ClinicID: m.ClinicID, ClientID: clientID, MessageID: m.ID, UserID: actor.UserID, At: tx.now}
		if err := s.appendMessageEvent(ctx, tx, &me); err != nil {
			return err
		}
		if err := tx.crisisCheckMessage(ctx, actor, m); err != nil {
			return err
		}
		return s.autoReply(ctx, tx, actor, m, &me)
	})
	return me, err
}

// MessageQuery selects a page of a thread, newest first.
type MessageQuery struct {
	Before string // messages older than the message with this id ("" for the newest)
	Limit  int    // at most this many (0: care.MessagePageSize; at most care.MaxMessagePageLimit)
}

// MessagePage is one page of a thread.
type MessagePage struct {
	Messages []care.Message
	More     bool // there are older messages: ask again with Before the last one's id

	// What the thread page shows beside the messages (boundaries.go).
	Messaging      care.Messaging     // how the client may write
	LastPersonRole care.Role          // who wrote the latest message a person wrote ("" for none)
	Team           []care.OfficeHours // the care team's office hours and response times
}

// Messages lists client clientID's thread as the actor may see it. A
// client the actor may not see is care.ErrNotFound; an unknown Before is
// care.Invalid.
func (s *Store) Messages(ctx context.Context, actor care.Actor, clientID string, q MessageQuery) (MessagePage, error) {
	if q.Limit <= 0 {
		q.Limit = care.MessagePageSize
	}
	q.Limit = min(q.Limit, care.MaxMessagePageLimit)
	page := MessagePage{Messages: []care.Message{}}
	ev := Event(actor, "message.list", "message", "")
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return page, err
	}
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		sqlq := `SELECT ` + messageColumns + ` FROM users c JOIN messages m ON m.client_id = c.id AND m.clinic_id = c.clinic_id
			WHERE ` + visibleClient + ` AND c.id = $4`
		args := visibleArgs(tx, actor, clientID)
		if q.Before != "" {
			var before int64
			err := tx.QueryRowContext(ctx, `SELECT sent_at FROM messages WHERE id = $1 AND client_id = $2 AND clinic_id = $3`,
				q.Before, clientID, actor.ClinicID).Scan(&before)
			if errors.Is(err, sql.ErrNoRows) {
				return care.FieldError("before", "is not a message of this thread")
			} else if err != nil {
				return err
			}
			args = append(args, before, q.Before)
			sqlq += ` AND (m.sent_at < $5 OR (m.sent_at = $5 AND m.id < $6))`
		}
		args = append(args, q.Limit+1)
		sqlq += fmt.Sprintf(" ORDER BY m.sent_at DESC, m.id DESC LIMIT $%d", len(args))
		s.warmKey(ctx, tx, actor.ClinicID, clientID)
		rows, err := tx.QueryContext(ctx, sqlq, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if len(page.Messages) == q.Limit {
				page.More = true
				break
			}
			var m care.Message
			if err := s.scanMessage(ctx, tx, rows, &m); err != nil {
				return err
			}
			page.Messages = append(page.Messages, m)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close() // before the next query: one statement at a time on a connection
		if err := s.listAttachments(ctx, tx, clientID, page.Messages); err != nil {
			return err
		}
		return s.threadState(ctx, tx, actor.ClinicID, clientID, &page)
	})
	return page, err
}

// MarkMessageRead records that the actor, a recipient, has read message
// messageID of client clientID's thread: the client for the care team's
// messages, a provider of the care team for the client's. The sender, or
// an admin, gets care.Forbidden; someone who may not see the thread
// care.ErrNotFound. Reading again changes nothing and returns changed
// false; the event to publish is returned when changed.
func (s *Store) MarkMessageRead(ctx context.Context, actor care.Actor, clientID, messageID string) (me care.MessageEvent, changed bool, err error) {
	ev := Event(actor, "message.read", "message", messageID)
	ev.ClientID = clientID
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		changed, me = false, care.MessageEvent{}
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		var m care.Message
		row := tx.QueryRowContext(ctx,
			`SELECT `+messageColumns+` FROM users c JOIN messages m ON m.client_id = c.id AND m.clinic_id = c.clinic_id
			 WHERE `+visibleClient+` AND c.id = $4 AND m.id = $5`, visibleArgs(tx, actor, clientID, messageID)...)
		if err := notFound(s.scanMessage(ctx, tx, row, &m)); err != nil {
			return err
		}
		if !care.IsMessageRecipient(actor, &m) {
			return care.Errorf(care.Forbidden, "only a recipient marks a message read")
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO message_reads (message_id, user_id, clinic_id, client_id, read_at) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (message_id, user_id) DO NOTHING`,
			m.ID, actor.UserID, m.ClinicID, m.ClientID, micros(tx.now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		changed = true
		me = care.MessageEvent{Kind: "read", ClinicID: m.ClinicID, ClientID: clientID, MessageID: m.ID, UserID: actor.UserID, At: tx.now}
		return s.appendMessageEvent(ctx, tx, &me)
	})
	return me, changed, err
}

// UnreadMessages is how many messages from the care team in the actor's
// own thread the actor has not read: the count on a client's Messages tab.
// It reads no text and names no one, so, like the staff's counts
// (CountOpenFlags), it writes no audit row: it runs on every page a client
// opens. Anyone but a client gets 0.
func (s *Store) UnreadMessages(ctx context.Context, actor care.Actor) (int, error) {
	if actor.Role != care.RoleClient {
		return 0, nil
	}
	var n int
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return tx.QueryRowContext(ctx,
			`SELECT count(*) FROM messages m
			 WHERE m.client_id = $1 AND m.clinic_id = $2 AND m.sender_role = $3
			   AND NOT EXISTS (SELECT 1 FROM message_reads r WHERE r.message_id = m.id AND r.user_id = $1)`,
			actor.UserID, actor.ClinicID, string(care.RoleProvider)).Scan(&n)
	})
	return n, err
}

// MessageEventsAfter returns the thread events after seq that the actor
// may see now (visibleClient), oldest first, at most limit: what a
// real-time stream that reconnects with Last-Event-ID missed. It is
// audited as a read of event metadata; events carry no text.
func (s *Store) MessageEventsAfter(ctx context.Context, actor care.Actor, seq int64, limit int) ([]care.MessageEvent, error) {
	out := []care.MessageEvent{}
	err := s.auditedRead(ctx, Event(actor, "message.events", "message", ""), func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT e.seq, e.kind, e.clinic_id, e.client_id, e.message_id, e.user_id, e.at
			 FROM message_events e JOIN users c ON c.id = e.client_id AND c.clinic_id = e.clinic_id
			 WHERE `+visibleClient+` AND e.seq > $4 ORDER BY e.seq LIMIT $5`,
			visibleArgs(tx, actor, seq, limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e care.MessageEvent
			var at int64
			if err := rows.Scan(&e.Seq, &e.Kind, &e.ClinicID, &e.ClientID, &e.MessageID, &e.UserID, &at); err != nil {
				return err
			}
			e.At = fromMicros(at)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// messageVersionField is the sealed text of an earlier version of a
// message: bound to the message and the version, so a version's text
// opens nowhere else.
func messageVersionField(clinicID, clientID, messageID string, version int) field {
	return field{clinic: clinicID, client: clientID, owner: clientID, table: "message_versions", column: "body",
		row: fmt.Sprintf("%s.%d", messageID, version)}
}

// threadMessage reads message messageID of client clientID's thread as
// the actor may see it (visibleClient), or care.ErrNotFound.
func (s *Store) threadMessage(ctx context.Context, tx tx, actor care.Actor, clientID, messageID string, m *care.Message) error {
	if err := tx.journalClient(ctx, actor, clientID); err != nil {
		return err
	}
	row := tx.QueryRowContext(ctx,
		`SELECT `+messageColumns+` FROM users c JOIN messages m ON m.client_id = c.id AND m.clinic_id = c.clinic_id
		 WHERE `+visibleClient+` AND c.id = $4 AND m.id = $5`, visibleArgs(tx, actor, clientID, messageID)...)
	return notFound(s.scanMessage(ctx, tx, row, m))
}

// EditMessage replaces the text of message messageID of client
// clientID's thread with text, validated as a new message's. Only the
// sender may: anyone else who sees the thread gets care.Forbidden, anyone
// who does not care.ErrNotFound. The text it replaces is kept, sealed, in
// message_versions. An edit to the same text changes nothing and returns
// changed false; otherwise the "edit" event to publish once committed is
// returned. An edit racing another is care.Conflict.
func (s *Store) EditMessage(ctx context.Context, actor care.Actor, clientID, messageID, text string) (m care.Message, me care.MessageEvent, changed bool, err error) {
	ev := Event(actor, "message.edit", "message", messageID)
	ev.ClientID = clientID
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		changed, me = false, care.MessageEvent{}
		if err := s.threadMessage(ctx, tx, actor, clientID, messageID, &m); err != nil {
			return err
		}
		if !care.CanEditMessage(actor, &m) {
			return care.Errorf(care.Forbidden, "only its sender edits a message")
		}
		if err := care.ValidateMessageText(text); err != nil {
			return err
		}
		if text == m.Text {
			return nil
		}
		written := m.SentAt
		if !m.EditedAt.IsZero() {
			written = m.EditedAt
		}
		oldSealed, err := s.sealValue(ctx, tx, messageVersionField(m.ClinicID, clientID, m.ID, m.Version), []byte(m.Text))
		if err != nil {
			return err
		}
		sealed, err := s.sealValue(ctx, tx, messageField(m.ClinicID, clientID, m.ID), []byte(text))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE messages SET body_sealed = $1, version = version + 1, edited_at = $2
			 WHERE id = $3 AND client_id = $4 AND clinic_id = $5 AND version = $6`,
			sealed, micros(tx.now), m.ID, clientID, m.ClinicID, m.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return care.Errorf(care.Conflict, "the message changed meanwhile; reload it and edit again")
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO message_versions (message_id, version, clinic_id, client_id, written_at, edited_at, editor_id, body_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			m.ID, m.Version, m.ClinicID, clientID, micros(written), micros(tx.now), actor.UserID, oldSealed); err != nil {
			return err
		}
		m.Text, m.Version, m.EditedAt, changed = text, m.Version+1, tx.now, true
		me = care.MessageEvent{Kind: "edit", ClinicID: m.ClinicID, ClientID: clientID, MessageID: m.ID, UserID: actor.UserID, At: tx.now}
		if err := s.appendMessageEvent(ctx, tx, &me); err != nil {
			return err
		}
		if err := tx.crisisCheckMessage(ctx, actor, &m); err != nil { // an edit may add crisis language
			return err
		}
		ms := []care.Message{m}
		err = s.listAttachments(ctx, tx, clientID, ms)
		m = ms[0]
		return err
	})
	return m, me, changed, err
}

// MessageVersions returns message messageID of client clientID's thread
// with every text it has had, the current one first. The thread's
// participants (the client and their care team) see them; an admin with
// break-glass access gets care.Forbidden, anyone else care.ErrNotFound.
func (s *Store) MessageVersions(ctx context.Context, actor care.Actor, clientID, messageID string) (care.Message, []care.MessageVersion, error) {
	var m care.Message
	ev, err := s.recordEvent(ctx, actor, "message.versions", "message", messageID, clientID)
	if err != nil {
		return m, nil, err
	}
	var out []care.MessageVersion
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		out = nil
		if err := s.threadMessage(ctx, tx, actor, clientID, messageID, &m); err != nil {
			return err
		}
		ms := []care.Message{m}
		if err := s.listAttachments(ctx, tx, clientID, ms); err != nil {
			return err
		}
		m = ms[0]
		if !care.IsThreadParticipant(actor, clientID) {
			return care.Errorf(care.Forbidden, "only the client and their care team see earlier versions")
		}
		written := m.SentAt
		if !m.EditedAt.IsZero() {
			written = m.EditedAt
		}
		out = append(out, care.MessageVersion{Version: m.Version, Text: m.Text, WrittenAt: written})
		rows, err := tx.QueryContext(ctx,
			`SELECT version, written_at, edited_at, editor_id, body_sealed FROM message_versions
			 WHERE message_id = $1 AND client_id = $2 AND clinic_id = $3 ORDER BY version DESC`,
			m.ID, clientID, m.ClinicID)
		if err != nil {
			return err
		}
		defer rows.Close()
		type sealedVersion struct {
			v      care.MessageVersion
			sealed []byte
		}
		var vs []sealedVersion
		for rows.Next() {
			var sv sealedVersion
			var written, edited int64
			if err := rows.Scan(&sv.v.Version, &written, &edited, &sv.v.EditorID, &sv.sealed); err != nil {
				return err
			}
			sv.v.WrittenAt, sv.v.EditedAt = fromMicros(written), fromMicros(edited)
			vs = append(vs, sv)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, sv := range vs {
			plain, err := s.openValue(ctx, tx, messageVersionField(m.ClinicID, clientID, m.ID, sv.v.Version), sv.sealed)
			if err != nil {
				return err
			}
			sv.v.Text = string(plain)
			out = append(out, sv.v)
		}
		return nil
	})
	if err != nil {
		return care.Message{}, nil, err
	}
	return m, out, nil
}
