//! The language server in a real editor: Neovim (Debian's 0.7), headless,
//! with the configuration in `editors/nvim`. It must show wireplan's
//! diagnostics at the right lines and columns, update them as the buffer
//! changes, and leave no server process behind.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{TempSpec, root};

/// A spec with four known mistakes; `mäiler` puts a two-byte character
/// before a diagnostic's column (Neovim reports byte columns).
const SPEC: &str = r#"system "crm" kind=crm {
    api rest version="1"
    webhooks #true
    rate-limit 100 pre=second
}

system "mäiler" kind=emial {
    api rest version="1"
}

event "lead.created" from=crm version=1 {
    key "id"
    field "id" type=string required=#true
}

flow "lead-to-mailer" {
    on "lead.create"
    to "mäiler" action=upsert
    retry attempts=3
    log
}
"#;

/// Opens the spec, dumps the diagnostics, fixes `lead.create`, dumps them
/// again, stops the clients and quits.
const SCRIPT: &str = r#"
local out = vim.env.WIREPLAN_NVIM_OUT
local function dump(name)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(list, { lnum = d.lnum, col = d.col, code = d.code, message = d.message, severity = d.severity })
  end
  local f = io.open(out .. "/" .. name, "w")
  f:write(vim.fn.json_encode(list))
  f:close()
end
local function has(code)
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.code == code then return true end
  end
  return false
end
function Run()
  local ok = vim.wait(20000, function() return has("unresolved-reference") and has("no-dead-letter") end, 20)
  dump("before.json")
  if ok then
    local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
    for i, line in ipairs(lines) do
      if line:find('on "lead.create"', 1, true) then
        vim.api.nvim_buf_set_lines(0, i - 1, i, false, { '    on "lead.created"' })
      end
    end
    vim.wait(20000, function() return not has("unresolved-reference") and has("no-dead-letter") end, 20)
  end
  dump("after.json")
  local f = io.open(out .. "/clients", "w")
  f:write(tostring(#vim.lsp.get_active_clients()))
  f:close()
  vim.lsp.stop_client(vim.lsp.get_active_clients())
  vim.wait(5000, function() return #vim.lsp.get_active_clients() == 0 end, 20)
  vim.cmd("qa!")
end
"#;

fn nvim() -> &'static str {
    let found = Command::new("nvim").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found, "nvim is missing: run `scripts/test.sh`, which installs Debian's `neovim`");
    "nvim"
}

/// Processes whose environment holds `mark`.
fn marked_processes(mark: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else { continue };
        if environ.split(|&b| b == 0).any(|v| v == mark.as_bytes()) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push(format!("{pid}: {}", String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

fn diagnostics(dir: &Path, name: &str) -> Vec<(String, u64, u64)> {
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let list: Value = serde_json::from_str(&text).unwrap_or(Value::Array(Vec::new()));
    let list = list.as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|d| (d["code"].as_str().unwrap_or("").to_owned(), d["lnum"].as_u64().unwrap(), d["col"].as_u64().unwrap()))
        .collect()
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn neovim_shows_the_diagnostics_and_updates_them_as_the_buffer_changes() {
    let nvim = nvim();
    let spec = TempSpec::new("nvim");
    let file = spec.file("wireplan.kdl", SPEC);
    let out = spec.dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let init = spec.file(
        "init.lua",
        format!(
            "vim.opt.runtimepath:prepend({rtp:?})\nrequire('wireplan').setup({{ cmd = {{ {bin:?}, 'lsp' }} }})\n{SCRIPT}",
            rtp = root().join("editors/nvim").display().to_string(),
            bin = env!("CARGO_BIN_EXE_wireplan"),
        ),
    );
    let mark = format!("WIREPLAN_NVIM_TEST={}-{}", std::process::id(), spec.dir.display());
    let (key, value) = mark.split_once('=').unwrap();
    let mut child = Command::new(nvim)
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&init)
        .arg(&file)
        .args(["-c", "lua Run()"])
        .current_dir(&spec.dir)
        .env(key, value)
        .env("WIREPLAN_NVIM_OUT", &out)
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("Neovim did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "nvim exited with {status}");
    // Neovim is gone; no server it started may still run.
    std::thread::sleep(Duration::from_millis(300));
    let left = marked_processes(&mark);
    assert!(left.is_empty(), "a server outlived Neovim: {left:?}");
    assert_eq!(std::fs::read_to_string(out.join("clients")).unwrap(), "1", "one client for the spec");

    // Lines and byte columns, 0-based, as Neovim reports them.
    let expected =
        [("unknown-property", 3, 19), ("bad-value", 6, 22), ("unresolved-reference", 16, 7), ("no-dead-letter", 18, 4)];
    let before = diagnostics(&out, "before.json");
    for (code, line, col) in expected {
        assert!(
            before.contains(&(code.to_owned(), line, col)),
            "no {code} at {line}:{col} in Neovim's diagnostics: {before:?}"
        );
    }
    let after = diagnostics(&out, "after.json");
    assert!(!after.iter().any(|d| d.0 == "unresolved-reference"), "the fixed mistake is still shown: {after:?}");
    for (code, line, col) in expected.iter().filter(|e| e.0 != "unresolved-reference") {
        assert!(
            after.contains(&((*code).to_owned(), *line, *col)),
            "{code} went away after an unrelated fix: {after:?}"
        );
    }
}
