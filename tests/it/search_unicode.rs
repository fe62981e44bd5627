//! Card text in any script never breaks search: a snippet is cut on character
//! boundaries, and the server keeps answering.

use actix_web::http::StatusCode;
use awc::http::Method;

use crate::support::TestApp;

#[actix_web::test]
async fn a_non_breaking_space_before_a_match_neither_fails_the_search_nor_the_ones_after() {
    let app = TestApp::new().await;
    // The snippet window started on the second byte of this `\u{a0}`: the search panicked,
    // and so did every later search whose page held this card (the "Blocking thread pool
    // is shut down unexpectedly" answers); other searches were unaffected.
    let body = format!("{}\u{a0}{} nbspword and more", "a".repeat(100), "b".repeat(100));
    app.card("docs", "Spaces", &body, &[]).await;
    app.card("docs", "Plain", "An ordinary plainword card.", &[]).await;
    for _ in 0..2 {
        let r = app.get("/api/v1/search?q=nbspword").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let snippet = r.json()["hits"][0]["snippet"].as_str().unwrap().to_owned();
        assert!(snippet.contains("<b>nbspword</b>"), "{snippet}");
        let page = app.get("/search?q=nbspword").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("<b>nbspword</b>"));
    }
    assert_eq!(app.get("/api/v1/search?q=plainword").await.json()["total"], 1);
    assert_eq!(app.call(Method::GET, "/healthz", None, None).await.status, StatusCode::OK);
}
