DROP TABLE health_snapshots;
DROP TABLE webhook_deliveries;
DROP TABLE notifications;
DROP TABLE reminders_sent;
DROP TABLE verification_requests;
DROP TABLE group_members;
DROP TABLE groups;
