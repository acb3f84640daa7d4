pub fn run(_: &[String]) -> Result<bool, String> { Err("not yet".into()) }
