//! Tampering with the audit chain (change, delete, reorder) is caught, by the library and by
//! `anshin admin verify-audit`, on SQLite and on PostgreSQL.

mod common;

use anshin::audit::{self, AuditEvent, AuditProblem};
use common::TestDb;
use serde_json::json;

async fn write_chain(t: &TestDb, n: usize) {
    for i in 0..n {
        let e = AuditEvent::new(format!("usr_{i}"), "identity.login", format!("usr_{i}"))
            .request_id(format!("req_{i}"))
            .details(json!({ "ip": "192.0.2.1", "n": i }));
        audit::record(&t.db, e).await.unwrap();
    }
    // A batch of several in one transaction chains the same way.
    let mut tx = t.db.begin_write().await.unwrap();
    let batch: Vec<_> = (0..3).map(|i| AuditEvent::new("system", "batch.event", format!("t{i}"))).collect();
    audit::append(&t.db, &mut tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
}

fn verify_cli(t: &TestDb) -> (i32, String) {
    let out = std::process::Command::new(common::anshin_bin())
        .args(["--database-url", &t.url, "admin", "verify-audit"])
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn exec(t: &TestDb, sql: &'static str) {
    sqlx::query(sql).execute(t.db.write_pool()).await.unwrap();
}

on_both!(an_intact_chain_verifies, |t: TestDb| async move {
    write_chain(&t, 7).await;
    let report = audit::verify(&t.db).await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.records_checked, 10);
    let (code, out) = verify_cli(&t);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("audit chain OK"));
});

on_both!(a_changed_record_is_named, |t: TestDb| async move {
    write_chain(&t, 7).await;
    exec(&t, "UPDATE audit_log SET details = '{\"ip\":\"203.0.113.9\"}' WHERE seq = 4").await;
    let report = audit::verify(&t.db).await.unwrap();
    assert_eq!(report.problems, vec![AuditProblem::Altered { seq: 4 }]);
    let (code, out) = verify_cli(&t);
    assert_eq!(code, 2);
    assert!(out.contains("record 4 was altered"), "{out}");
});

on_both!(a_changed_outcome_or_actor_is_named, |t: TestDb| async move {
    write_chain(&t, 5).await;
    exec(&t, "UPDATE audit_log SET outcome = 'failure' WHERE seq = 2").await;
    exec(&t, "UPDATE audit_log SET actor = 'usr_attacker' WHERE seq = 5").await;
    let report = audit::verify(&t.db).await.unwrap();
    assert_eq!(report.problems, vec![AuditProblem::Altered { seq: 2 }, AuditProblem::Altered { seq: 5 }]);
});

on_both!(a_removed_record_is_named, |t: TestDb| async move {
    write_chain(&t, 7).await;
    exec(&t, "DELETE FROM audit_log WHERE seq = 3").await;
    let report = audit::verify(&t.db).await.unwrap();
    assert!(
        report.problems.contains(&AuditProblem::Missing { expected_seq: 3, found_seq: 4 }),
        "{:?}",
        report.problems
    );
    let (code, out) = verify_cli(&t);
    assert_eq!(code, 2);
    assert!(out.contains("record 3 is missing"), "{out}");
});

on_both!(a_removed_tail_is_caught_by_the_head, |t: TestDb| async move {
    write_chain(&t, 7).await;
    exec(&t, "DELETE FROM audit_log WHERE seq >= 9").await;
    let report = audit::verify(&t.db).await.unwrap();
    assert_eq!(report.problems, vec![AuditProblem::HeadMismatch { head_seq: 10, last_seq: 8 }]);
});

on_both!(reordered_records_are_named, |t: TestDb| async move {
    write_chain(&t, 7).await;
    // Swap records 5 and 6 by renumbering them.
    exec(&t, "UPDATE audit_log SET seq = -6 WHERE seq = 6").await;
    exec(&t, "UPDATE audit_log SET seq = 6 WHERE seq = 5").await;
    exec(&t, "UPDATE audit_log SET seq = 5 WHERE seq = -6").await;
    let report = audit::verify(&t.db).await.unwrap();
    assert!(report.problems.contains(&AuditProblem::BrokenLink { seq: 5 }), "{:?}", report.problems);
    assert!(!report.ok());
    let (code, out) = verify_cli(&t);
    assert_eq!(code, 2);
    assert!(out.contains("reordered"), "{out}");
});

on_both!(a_rewritten_record_with_a_fresh_hash_still_breaks_the_link, |t: TestDb| async move {
    write_chain(&t, 7).await;
    // An attacker alters record 4 and recomputes its own hash; record 5 no longer links to it.
    let rec = audit::read_page(&t.db, 3, 1).await.unwrap().remove(0);
    let mut forged = rec.clone();
    forged.actor = "usr_innocent".into();
    forged.hash = audit::record_hash(&forged.prev_hash, &forged);
    sqlx::query("UPDATE audit_log SET actor = $1, hash = $2 WHERE seq = 4")
        .bind(&forged.actor)
        .bind(&forged.hash)
        .execute(t.db.write_pool())
        .await
        .unwrap();
    let report = audit::verify(&t.db).await.unwrap();
    assert_eq!(report.problems, vec![AuditProblem::BrokenLink { seq: 5 }]);
});

#[tokio::test]
async fn control_characters_cannot_forge_lines() {
    let t = TestDb::sqlite().await;
    audit::record(&t.db, AuditEvent::new("usr_1\nseq=99 actor=admin", "x\r\ny", "t")).await.unwrap();
    let rec = audit::read_page(&t.db, 0, 1).await.unwrap().remove(0);
    assert!(!rec.actor.contains('\n') && !rec.action.contains('\r'), "{rec:?}");
    assert!(audit::verify(&t.db).await.unwrap().ok());
}

on_both!(verifying_a_live_chain_raises_no_false_alarm, |t: TestDb| async move {
    write_chain(&t, 3).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, stop) = (t.db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                audit::record(&db, AuditEvent::new("system", "live.append", format!("t{n}"))).await.unwrap();
                n += 1;
            }
            n
        })
    };
    for _ in 0..10 {
        let report = audit::verify(&t.db).await.unwrap();
        assert!(report.ok(), "false alarm while appends run: {:?}", report.problems);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(writer.await.unwrap() > 0);
    // A record slipped in after the head (without moving it) is still caught.
    exec(
        &t,
        "INSERT INTO audit_log (seq, at_ms, actor, action, target, request_id, outcome, details, prev_hash, hash)
              SELECT seq + 1, at_ms, actor, action, target, request_id, outcome, details, hash, hash FROM audit_log
              WHERE seq = (SELECT seq FROM audit_head WHERE id = 1)",
    )
    .await;
    let report = audit::verify(&t.db).await.unwrap();
    assert!(matches!(report.problems.as_slice(), [AuditProblem::HeadMismatch { .. }]), "{:?}", report.problems);
});
