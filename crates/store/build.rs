// Migrations are embedded at compile time; without this, new migration files go unnoticed.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
