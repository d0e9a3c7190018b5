//! The supervised ways to run the hub and the broker's connectors
//! (`emit::service`: a systemd unit, a `Containerfile`, the environment file
//! both read, and the README's "Run it supervised"), proven as far as this
//! machine allows. PID 1 is not systemd and there is no container engine,
//! so: the README's runnable blocks run as written (`systemd-analyze
//! verify`); the unit's `ExecStart=` runs exactly as written, in its
//! `WorkingDirectory=` (this output folder standing in for `/opt/...`),
//! with systemd's clean environment, its `Environment=` and its
//! `EnvironmentFile=` (the generated file, filled in), inside what its
//! hardening comes to (a read-only tree but `ReadWritePaths=`, private
//! `/tmp`, no home folders, an unprivileged user, no capabilities, no new
//! privileges: `SANDBOX`), and must serve a webhook on the real Node-RED
//! and stop on TERM by process id; the
//! `Containerfile` passes hadolint with no finding, and its steps run as
//! written in a scratch folder standing in for the image (`WORKDIR`, `COPY`,
//! `ENV`, `RUN` with a real `npm install`, then `CMD` and `HEALTHCHECK`).
//! The image build itself is not exercised.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::broker::{PASSWORD, VHOST, tools};
use crate::broker_node::Rabbit;
use crate::hub::{Recorded, Recorder, free_port, http, node_red_js};
use crate::util::{TempSpec, code, root, stderr, stdout};

/// A webhook from `crm` written to `mail`: the smallest hub that shows a
/// delivery.
const SPEC: &str = "system \"crm\" kind=crm {\n    webhooks #true\n}\nsystem \"mail\" kind=email\n\
    event \"lead.created\" from=crm version=1 {\n    field \"id\" type=string required=#true\n}\n\
    flow \"lead-to-mail\" {\n    on \"lead.created\"\n    to mail action=create\n}\n";

/// systemd's search path for a command that is not absolute, and the
/// environment a service starts with besides its own variables.
const SYSTEMD_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How long Node-RED may take to start or deliver: generous, as the real
/// runtimes share two cores with the rest of the suite.
const WAIT: Duration = Duration::from_secs(120);

fn build(dir: &Path, args: &[&str]) -> PathBuf {
    let out = dir.join("out");
    let built =
        crate::util::wireplan().args(["build"]).args(args).arg("--out").arg(&out).current_dir(dir).output().unwrap();
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    out
}

/// `SPEC` built for the hub in `work`.
fn small_hub(work: &TempSpec) -> PathBuf {
    work.file("wireplan.kdl", SPEC);
    build(&work.dir, &["--target", "hub"])
}

/// An example of the repository built for `target` into `work`.
fn example(work: &TempSpec, example: &str, target: &str) -> PathBuf {
    build(&work.dir, &[root().join(example).to_str().unwrap(), "--target", target])
}

/// The fenced blocks of the README's "Run it supervised" section, as
/// (info string, body).
fn supervised_blocks(readme: &str) -> Vec<(String, String)> {
    let section = readme.split("\n## Run it supervised\n").nth(1).expect("a \"Run it supervised\" section");
    let section = section.split("\n## ").next().unwrap();
    let mut blocks = Vec::new();
    let mut parts = section.split("```");
    parts.next();
    while let (Some(block), Some(_)) = (parts.next(), parts.next()) {
        let (info, body) = block.split_once('\n').unwrap();
        blocks.push((info.to_owned(), body.to_owned()));
    }
    blocks
}

/// A unit's `[Service]` settings, in order.
fn service_settings(unit: &str) -> Vec<(String, String)> {
    let section = unit.split("[Service]\n").nth(1).expect("a [Service] section");
    let section = section.split("\n[").next().unwrap();
    section
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn setting<'a>(settings: &'a [(String, String)], key: &str) -> &'a str {
    let found: Vec<&str> = settings.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect();
    assert_eq!(found.len(), 1, "{key}= once: {settings:?}");
    found[0]
}

/// The lines `NAME=VALUE` of an environment file, as systemd's
/// `EnvironmentFile=` and `docker run --env-file` both read them (comments
/// skipped, no quoting).
fn env_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// The generated environment file filled in as the README says, a value
/// per variable (`value` decides it), plus `PORT`, which the test picks.
fn filled_env(out: &Path, rel: &str, port: u16, value: impl Fn(&str) -> String) -> String {
    let template = std::fs::read_to_string(out.join(rel)).unwrap();
    let mut filled = String::new();
    for line in template.lines() {
        match line.strip_suffix('=') {
            Some(name) if !name.starts_with('#') => filled.push_str(&format!("{name}={}\n", value(name))),
            _ => filled.push_str(&format!("{line}\n")),
        }
    }
    filled.push_str(&format!("PORT={port}\n"));
    filled
}

/// The variables `settings.js` will not start without.
fn required_env(settings: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(settings).unwrap();
    let list = text.lines().find_map(|l| l.strip_prefix("const REQUIRED_ENV = ")).unwrap();
    serde_json::from_str(list.trim_end_matches(';')).unwrap()
}

/// Waits for `GET /healthz` on `port` from `child`; the log on failure.
fn wait_healthy(child: &mut Child, port: u16, log: &Path) {
    let start = Instant::now();
    while http(port, "GET", "/healthz", &[], "").is_none_or(|(status, _)| status != 200) {
        if start.elapsed() > WAIT || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("no /healthz on {port}:\n{}", std::fs::read_to_string(log).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops `child` as a service manager does (TERM, by process id), and
/// checks that nothing listens on `port` after it exited.
fn stop(mut child: Child, port: u16) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("Node-RED did not stop on TERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(http(port, "GET", "/healthz", &[], "").is_none(), "something still listens on {port}");
}

/// A value for each of the small hub's variables: the target is the
/// recorder, the webhook's token a fixed one.
fn small_hub_value(recorder: &Recorder) -> impl Fn(&str) -> String + '_ {
    move |name| match name {
        "MAIL_URL" => recorder.url("/mail"),
        "CRM_WEBHOOK_TOKEN" => "in-token".to_owned(),
        other => panic!("the small hub needs no {other}"),
    }
}

/// Posts the small hub's webhook and waits for its write at the recorder.
fn deliver(port: u16, recorder: &Recorder, log: &Path) {
    let auth = [("Authorization", "Bearer in-token"), ("Content-Type", "application/json")];
    let status = http(port, "POST", "/hooks/lead.created", &auth, "{\"id\":\"lead-1\"}").map(|(s, _)| s);
    assert_eq!(status, Some(202), "{}", std::fs::read_to_string(log).unwrap_or_default());
    let mail = |r: &Recorded| r.path.starts_with("/mail");
    let writes: Vec<Recorded> = recorder.wait_for(1, WAIT, mail).into_iter().filter(mail).collect();
    assert_eq!(writes.len(), 1, "{}", std::fs::read_to_string(log).unwrap_or_default());
    assert_eq!(writes[0].method, "POST");
    assert_eq!(writes[0].json(), serde_json::json!({"id": "lead-1"}));
}

/// Plain `cargo test`: the unit, the image and the README all run the
/// README's own command; the environment file names exactly the variables
/// `settings.js` requires, with no value; the needs-systemd and
/// needs-container-engine blocks name only files the build wrote.
#[test]
fn the_unit_the_image_and_the_readme_run_one_command_and_hold_no_secret() {
    let work = TempSpec::new("supervise-static");
    let hub = example(&work, "examples/hub-studio", "hub");
    let broker_work = TempSpec::new("supervise-static-broker");
    let broker = example(&broker_work, "examples/high-volume-retail", "broker");
    for (out, name, readme_heading, user_dir) in
        [(&hub, "hub", "## Run it\n", "node-red"), (&broker, "connectors", "### Connectors\n", ".")]
    {
        let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
        let run = readme.split(readme_heading).nth(1).unwrap();
        let run = run.split("```sh\n").nth(1).and_then(|b| b.split("\n```").next()).unwrap();
        let command = run.lines().last().unwrap();
        assert!(command.starts_with("node node_modules/node-red/red.js "), "{run}");
        assert!(command.ends_with(&format!("--userDir {user_dir}")), "{command}");

        let unit = std::fs::read_to_string(out.join(format!("service/wireplan-{name}.service"))).unwrap();
        let settings = service_settings(&unit);
        assert_eq!(setting(&settings, "ExecStart"), command);
        assert_eq!(setting(&settings, "Restart"), "on-failure");
        assert_eq!(setting(&settings, "EnvironmentFile"), format!("/etc/wireplan/{name}.env"));
        assert_eq!(setting(&settings, "ProtectSystem"), "strict");
        assert_eq!(setting(&settings, "NoNewPrivileges"), "yes");
        let work_dir = setting(&settings, "WorkingDirectory");
        let writable = setting(&settings, "ReadWritePaths");
        assert!(writable.starts_with(&format!("/opt/wireplan-{name}/")), "{writable}");
        assert!(
            writable == format!("{work_dir}/node-red") || writable == work_dir,
            "Node-RED's user dir is writable: {work_dir} {writable}"
        );

        let containerfile = std::fs::read_to_string(out.join("Containerfile")).unwrap();
        let cmd = containerfile.lines().find_map(|l| l.strip_prefix("CMD ")).unwrap();
        let cmd: Vec<String> = serde_json::from_str(cmd).unwrap();
        assert_eq!(cmd.join(" "), command);
        assert!(containerfile.contains("\nUSER 1000:1000\n") && containerfile.contains("\nHEALTHCHECK "));

        let env_text = std::fs::read_to_string(out.join(format!("service/{name}.env"))).unwrap();
        let lines = env_lines(&env_text);
        assert!(lines.iter().all(|(_, v)| v.is_empty()), "a value in the environment file: {lines:?}");
        let names: Vec<String> = lines.into_iter().map(|(k, _)| k).collect();
        let mut required = required_env(&out.join("node-red/settings.js"));
        required.sort();
        assert_eq!(names, required, "the environment file lists what settings.js requires");
        for secret in names {
            assert!(!containerfile.contains(&secret) && !unit.contains(&secret), "{secret} in the unit or the image");
        }

        let blocks = supervised_blocks(&readme);
        let infos: Vec<&str> = blocks.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(infos, ["sh", "sh needs-systemd", "sh needs-container-engine"], "{readme}");
        for (_, body) in &blocks {
            for word in body.split_whitespace().filter(|w| w.starts_with("service/") || *w == "Containerfile") {
                assert!(out.join(word).is_file(), "the README names {word}, which the build did not write");
            }
        }
        assert!(blocks[1].1.contains(&format!("sudo systemctl enable --now wireplan-{name}\n")), "{}", blocks[1].1);
        assert!(blocks[2].1.contains(&format!("--env-file /etc/wireplan/{name}.env")), "{}", blocks[2].1);
    }
    // Only what applies: the hub-studio spec polls, its image keeps the
    // cursors; the small hub does not poll and says nothing of them.
    let hub_readme = std::fs::read_to_string(hub.join("README.md")).unwrap();
    assert!(hub_readme.contains("-v wireplan-hub-context:/app/node-red/context"), "{hub_readme}");
    let small = TempSpec::new("supervise-static-small");
    let small_out = small_hub(&small);
    let small_readme = std::fs::read_to_string(small_out.join("README.md")).unwrap();
    assert!(!small_readme.contains("context") && !small_readme.contains("poll"), "{small_readme}");
    assert!(!std::fs::read_to_string(small_out.join("Containerfile")).unwrap().contains("context"));

    // No spec name reaches the unit or the image: a spec of hostile names
    // gets the small hub's, byte for byte, and an environment file of
    // variable names only.
    let name = r#"q\"u'o$t%e\\ ; ../\u{2028}x"#;
    let hostile = TempSpec::new("supervise-static-hostile");
    hostile.file(
        "wireplan.kdl",
        format!(
            "system \"crm{name}\" kind=crm {{\n    webhooks #true\n}}\nsystem \"mail{name}\" kind=email\n\
             event \"lead{name}\" from=\"crm{name}\" version=1 {{\n    field \"id\" type=string required=#true\n}}\n\
             flow \"flow{name}\" {{\n    on \"lead{name}\"\n    to \"mail{name}\" action=create\n}}\n"
        ),
    );
    let hostile_out = build(&hostile.dir, &["--target", "hub"]);
    for file in ["Containerfile", "service/wireplan-hub.service"] {
        assert_eq!(
            std::fs::read(hostile_out.join(file)).unwrap(),
            std::fs::read(small_out.join(file)).unwrap(),
            "{file}"
        );
    }
    let env_text = std::fs::read_to_string(hostile_out.join("service/hub.env")).unwrap();
    for (k, v) in env_lines(&env_text) {
        assert!(
            v.is_empty() && k.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
            "{k}={v}"
        );
    }
}

/// `systemd-analyze` and hadolint on the generated files: the README's
/// runnable block (`systemd-analyze verify`) as written, silent; hadolint
/// (from `.tools/venv`) with no finding. Each tool is shown to fail on a
/// planted mistake, so a silent run means something.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_units_verify_and_the_containerfiles_lint_clean() {
    let hadolint = tools().join("venv/bin/hadolint");
    assert!(
        hadolint.exists(),
        "hadolint is missing ({}): run `scripts/test.sh`, which installs it",
        hadolint.display()
    );
    assert!(
        Path::new("/usr/bin/systemd-analyze").exists(),
        "systemd-analyze is missing: run `scripts/test.sh`, which installs the Debian package systemd"
    );
    let work = TempSpec::new("supervise-lint");
    let hub = example(&work, "examples/hub-studio", "hub");
    let broker_work = TempSpec::new("supervise-lint-broker");
    let broker = example(&broker_work, "examples/high-volume-retail", "broker");
    for out in [&hub, &broker] {
        let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
        for (info, body) in supervised_blocks(&readme) {
            if info != "sh" {
                continue;
            }
            let ran = Command::new("sh").arg("-ec").arg(&body).current_dir(out).output().unwrap();
            assert_eq!(code(&ran), 0, "{body}: {}{}", stdout(&ran), stderr(&ran));
            assert_eq!(stdout(&ran) + &stderr(&ran), "", "{body} is not silent");
        }
        let linted = Command::new(&hadolint).arg("Containerfile").current_dir(out).output().unwrap();
        assert_eq!((code(&linted), stdout(&linted) + &stderr(&linted)), (0, String::new()), "hadolint");
    }
    // A typo in the unit and an unpinned base image are found.
    let unit = std::fs::read_to_string(hub.join("service/wireplan-hub.service")).unwrap();
    std::fs::write(hub.join("planted.service"), unit.replace("ExecStart=node ", "ExecStart=nodee ")).unwrap();
    let verified =
        Command::new("systemd-analyze").args(["verify", "planted.service"]).current_dir(&hub).output().unwrap();
    assert_ne!(code(&verified), 0, "systemd-analyze verify passed a unit whose command does not exist");
    let image = std::fs::read_to_string(hub.join("Containerfile")).unwrap();
    let from = image.lines().find(|l| l.starts_with("FROM ")).unwrap();
    std::fs::write(hub.join("Planted"), image.replace(from, "FROM node:latest")).unwrap();
    let linted = Command::new(&hadolint).arg("Planted").current_dir(&hub).output().unwrap();
    assert!(code(&linted) != 0 && stdout(&linted).contains("DL3007"), "{}", stdout(&linted));
}

/// What the unit's sandbox comes to, short of systemd, in a mount
/// namespace: the whole tree read-only (`ProtectSystem=strict`); empty
/// `/tmp` (`PrivateTmp=`), `/home` and `/root` (`ProtectHome=`); the
/// output folder (the first argument, which the README copies to
/// `/opt/wireplan-<name>`) at its own path, read-only but for its one
/// writable folder (the second, `ReadWritePaths=`), with the Node.js
/// modules (the third) mounted read-only where the README's `cp -R` puts
/// them (the fourth); then, in the working folder (the fifth), the command
/// as an unprivileged user (`User=`; `nobody` stands in for `wireplan`)
/// without capabilities (`CapabilityBoundingSet=`) or new privileges
/// (`NoNewPrivileges=`). The output folder and the modules are first bound
/// aside in a private tmpfs, since a checkout under `/tmp`, `/home` or
/// `/root` would vanish with them, and bound back at their paths after.
/// `unshare` and `sh` exec, so the command keeps their process id.
const SANDBOX: &str = "set -e\nmount -t tmpfs tmpfs /mnt\nmkdir /mnt/out /mnt/modules\n\
    mount --bind \"$1\" /mnt/out\nmount --bind \"$3\" /mnt/modules\nmount -o remount,bind,ro /\n\
    mount -t tmpfs -o mode=1777 tmpfs /tmp\nmount -t tmpfs tmpfs /home\nmount -t tmpfs -o mode=700 tmpfs /root\n\
    mkdir -p \"$1\"\nmount --bind /mnt/out \"$1\"\nmount -o remount,bind,ro \"$1\"\n\
    mount --bind \"$2\" \"$2\"\nmount -o remount,bind,rw \"$2\"\n\
    mount --bind /mnt/modules \"$4\"\nmount -o remount,bind,ro \"$4\"\n\
    cd \"$5\"\nshift 5\n\
    exec setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all -- \"$@\"\n";

/// The unit's `ExecStart=` as systemd would start it: split into words (the
/// line holds nothing systemd would expand), in `WorkingDirectory=` (the
/// output folder, which the README copies to `/opt/wireplan-<name>`), with
/// systemd's clean environment, the user's variables, `Environment=`, then
/// `EnvironmentFile=`; inside the unit's sandbox (`SANDBOX`), its one
/// writable folder owned by the user, as the README's `chown` makes it.
fn start_unit(out: &Path, name: &str, modules: &Path, env_file: &str, log: &Path) -> Child {
    use std::os::unix::fs::PermissionsExt as _;
    let unit = std::fs::read_to_string(out.join(format!("service/wireplan-{name}.service"))).unwrap();
    let settings = service_settings(&unit);
    let exec = setting(&settings, "ExecStart");
    assert!(!exec.contains(['"', '\'', '%', '$', '\\', ';']), "systemd would expand {exec}");
    let argv: Vec<&str> = exec.split_whitespace().collect();
    let install = format!("/opt/wireplan-{name}");
    let in_out = |path: &str| out.join(path.strip_prefix(&install).unwrap().trim_start_matches('/'));
    let work_dir = in_out(setting(&settings, "WorkingDirectory"));
    let writable = in_out(setting(&settings, "ReadWritePaths"));
    assert_eq!(setting(&settings, "EnvironmentFile"), format!("/etc/wireplan/{name}.env"));
    assert_eq!((setting(&settings, "User"), setting(&settings, "NoNewPrivileges")), ("wireplan", "yes"));
    assert_eq!((setting(&settings, "ProtectSystem"), setting(&settings, "PrivateTmp")), ("strict", "yes"));
    assert_eq!((setting(&settings, "ProtectHome"), setting(&settings, "CapabilityBoundingSet")), ("yes", ""));
    // The user reaches the folder (a test's folder is its owner's only) and
    // owns the one it may write in.
    std::fs::set_permissions(out.parent().unwrap(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::chown(&writable, Some(65534), Some(65534)).unwrap();
    let installed = work_dir.join("node_modules");
    std::fs::create_dir_all(&installed).unwrap();
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", SANDBOX, "sh"])
        .arg(std::fs::canonicalize(out).unwrap())
        .arg(std::fs::canonicalize(&writable).unwrap())
        .arg(std::fs::canonicalize(modules).unwrap())
        .arg(std::fs::canonicalize(&installed).unwrap())
        .arg(std::fs::canonicalize(&work_dir).unwrap())
        .args(&argv)
        .current_dir(&work_dir)
        .env_clear()
        .env("PATH", SYSTEMD_PATH)
        .env("HOME", "/home/wireplan")
        .env("USER", "wireplan")
        .env("LOGNAME", "wireplan")
        .env("SHELL", "/usr/sbin/nologin");
    for (key, value) in settings.iter().filter(|(k, _)| k == "Environment") {
        let (k, v) = value.split_once('=').unwrap_or_else(|| panic!("{key}={value}"));
        cmd.env(k, v);
    }
    cmd.envs(env_lines(env_file));
    let file = std::fs::File::create(log).unwrap();
    cmd.stdin(Stdio::null()).stdout(file.try_clone().unwrap()).stderr(file).spawn().unwrap()
}

/// The hub's unit, started as written with its environment file filled in,
/// serves a webhook on the real Node-RED and delivers it; TERM to its main
/// process (what `systemctl stop` sends) stops Node-RED.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_hub_unit_starts_as_written_and_stops_by_its_pid() {
    let red_js = node_red_js();
    let work = TempSpec::new("supervise-hub-unit");
    let out = small_hub(&work);
    let recorder = Recorder::start();
    let port = free_port();
    let env_file = filled_env(&out, "service/hub.env", port, small_hub_value(&recorder));
    let log = work.dir.join("unit.log");
    // The README's `npm install node-red@4.1`, which `.tools/` stands in for.
    let modules = red_js.parent().unwrap().parent().unwrap();
    let mut child = start_unit(&out, "hub", modules, &env_file, &log);
    wait_healthy(&mut child, port, &log);
    deliver(port, &recorder, &log);
    // Node-RED itself runs, as the unprivileged user, and wrote in its
    // user dir (the only place it could).
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    assert!(status.contains("\nUid:\t65534\t") && status.contains("\nNoNewPrivs:\t1\n"), "{status}");
    // The unit's main process is Node-RED (which names itself so), not a
    // wrapper that could leave it running.
    let exe = std::fs::read_link(format!("/proc/{}/exe", child.id())).unwrap();
    let title = std::fs::read_to_string(format!("/proc/{}/cmdline", child.id())).unwrap();
    assert!(exe.ends_with("node") && title.trim_end_matches('\0') == "node-red", "{exe:?} {title:?}");
    assert!(out.join("node-red/.config.runtime.json").is_file());
    stop(child, port);
}

/// One `Containerfile` instruction.
fn instructions(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            assert!(!l.ends_with('\\'), "a continued line: {l}");
            let (instruction, args) = l.split_once(' ').unwrap();
            (instruction.to_owned(), args.to_owned())
        })
        .collect()
}

/// What running a `Containerfile`'s steps outside a container left: the
/// folder the image's `WORKDIR` stands for, the image's environment, and
/// its `HEALTHCHECK` and `CMD`.
struct Image {
    work_dir: PathBuf,
    env: Vec<(String, String)>,
    healthcheck: Vec<String>,
    cmd: Vec<String>,
}

/// Runs the steps of `out`'s `Containerfile` as written, `scratch` standing
/// for the image's root: `FROM` is checked (its Node.js line is the one the
/// tests run), `WORKDIR`, `COPY` (from `out`, the build context) and `ENV`
/// are carried out, each `RUN` runs in `sh -c` (a real `npm install` from
/// the registry; HOME is the scratch's, so npm's cache is too), `USER` and
/// `EXPOSE` are checked.
fn run_image_steps(out: &Path, scratch: &Path) -> Image {
    let text = std::fs::read_to_string(out.join("Containerfile")).unwrap();
    let home = scratch.join("root");
    std::fs::create_dir_all(&home).unwrap();
    let mut image = Image {
        work_dir: scratch.to_path_buf(),
        env: vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".into(), home.display().to_string()),
        ],
        healthcheck: Vec::new(),
        cmd: Vec::new(),
    };
    for (instruction, args) in instructions(&text) {
        match instruction.as_str() {
            "FROM" => {
                let version = args.strip_prefix("node:").and_then(|t| t.split('-').next()).unwrap();
                assert_eq!(version.split('.').count(), 3, "a pinned release: {args}");
                let node = Command::new("node").arg("--version").output().unwrap();
                let major = stdout(&node).trim().trim_start_matches('v').split('.').next().unwrap().to_owned();
                assert_eq!(version.split('.').next().unwrap(), major, "the image's Node.js line is the tests'");
            }
            "ENV" => {
                for pair in args.split_whitespace() {
                    let (k, v) = pair.split_once('=').unwrap();
                    image.env.push((k.to_owned(), v.to_owned()));
                }
            }
            "WORKDIR" => {
                image.work_dir = scratch.join(args.trim_start_matches('/'));
                std::fs::create_dir_all(&image.work_dir).unwrap();
            }
            "COPY" => {
                let words: Vec<&str> = args.split_whitespace().filter(|w| !w.starts_with("--")).collect();
                let (dest, sources) = words.split_last().unwrap();
                assert!(dest.ends_with('/'), "COPY into a folder: {args}");
                let dest = image.work_dir.join(dest);
                std::fs::create_dir_all(&dest).unwrap();
                for source in sources {
                    let from = out.join(source);
                    std::fs::copy(&from, dest.join(from.file_name().unwrap())).unwrap();
                }
            }
            "RUN" => {
                let ran = Command::new("sh")
                    .arg("-c")
                    .arg(&args)
                    .current_dir(&image.work_dir)
                    .env_clear()
                    .envs(image.env.iter().cloned())
                    .output()
                    .unwrap();
                assert_eq!(code(&ran), 0, "RUN {args}: {}{}", stdout(&ran), stderr(&ran));
            }
            "USER" => assert_eq!(args, "1000:1000", "the base image's unprivileged `node` user"),
            "EXPOSE" => assert_eq!(args, "1880"),
            "HEALTHCHECK" => {
                let json = args.split_once("CMD ").unwrap().1;
                image.healthcheck = serde_json::from_str(json).unwrap();
            }
            "CMD" => image.cmd = serde_json::from_str(&args).unwrap(),
            other => panic!("an instruction the test does not know: {other} {args}"),
        }
    }
    image
}

/// Runs `argv` as the image would, with its environment and `env_file`'s
/// (`docker run --env-file`).
fn image_command(image: &Image, argv: &[String], env_file: &str) -> Command {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(&image.work_dir)
        .env_clear()
        .envs(image.env.iter().cloned())
        .envs(env_lines(env_file))
        .stdin(Stdio::null());
    cmd
}

/// The hub's `Containerfile`, its steps run as written outside a container:
/// the `RUN` steps install Node-RED from npm, the `HEALTHCHECK` fails before
/// Node-RED runs and passes once it does, and the `CMD` serves a webhook
/// and delivers it. The image build itself needs a container engine, which
/// this machine lacks.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_hub_containerfile_steps_run_as_written() {
    let work = TempSpec::new("supervise-hub-image");
    let out = small_hub(&work);
    let scratch = work.dir.join("image");
    let image = run_image_steps(&out, &scratch);
    let installed: Value = serde_json::from_str(
        &std::fs::read_to_string(image.work_dir.join("node_modules/node-red/package.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(installed["version"], "4.1.15");
    let recorder = Recorder::start();
    let port = free_port();
    let env_file = filled_env(&out, "service/hub.env", port, small_hub_value(&recorder));
    let before = image_command(&image, &image.healthcheck, &env_file).output().unwrap();
    assert_ne!(code(&before), 0, "the health check passed with nothing running");
    let log = work.dir.join("image.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut child =
        image_command(&image, &image.cmd, &env_file).stdout(file.try_clone().unwrap()).stderr(file).spawn().unwrap();
    wait_healthy(&mut child, port, &log);
    let healthy = image_command(&image, &image.healthcheck, &env_file).output().unwrap();
    assert_eq!(code(&healthy), 0, "{}{}", stdout(&healthy), stderr(&healthy));
    deliver(port, &recorder, &log);
    // The audit and dead-letter folder is the one the image made for its volume.
    assert!(image.work_dir.join("node-red/data").is_dir());
    stop(child, port);
}

/// A value for each of the connectors' variables: RabbitMQ's address and
/// the connectors' user, every target the recorder, every token a fixed
/// one.
fn connector_value<'a>(recorder: &'a Recorder, rabbit: &'a Rabbit) -> impl Fn(&str) -> String + 'a {
    move |name| match name {
        "WIREPLAN_AMQP_ADDRESSES" => format!("127.0.0.1:{}", rabbit.port),
        "WIREPLAN_AMQP_USER" => "wireplan".to_owned(),
        "WIREPLAN_AMQP_PASSWORD" => PASSWORD.to_owned(),
        n if n.ends_with("_URL") => recorder.url(&format!("/{}", n.trim_end_matches("_URL").to_ascii_lowercase())),
        n => format!("token-of-{}", n.to_ascii_lowercase()),
    }
}

/// Posts an order to the connectors until RabbitMQ has confirmed it (202:
/// the connectors' AMQP connection is up) and waits for the ERP's write.
fn deliver_order(port: u16, recorder: &Recorder, id: &str, log: &Path) {
    let order = serde_json::json!({"order_id": id, "email": "ada@example.com", "total": "1.00", "placed_at": "2026-11-30T10:00:00Z"});
    let auth = [("Authorization", "Bearer token-of-shopify_webhook_token"), ("Content-Type", "application/json")];
    let start = Instant::now();
    let mut status = None;
    while start.elapsed() < WAIT {
        status = http(port, "POST", "/hooks/order.created", &auth, &order.to_string()).map(|(s, _)| s);
        if status == Some(202) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(status, Some(202), "{}", std::fs::read_to_string(log).unwrap_or_default());
    let erp = |r: &Recorded| r.path == "/netsuite/sales_order" && r.body.contains(id);
    let writes: Vec<Recorded> = recorder.wait_for(1, WAIT, erp).into_iter().filter(erp).collect();
    assert_eq!(writes.len(), 1, "{}", std::fs::read_to_string(log).unwrap_or_default());
}

/// The broker's connectors, supervised, on a real RabbitMQ with the
/// definitions imported: the unit's `ExecStart=` as written (in
/// `node-red/`, `.tools/` standing in for the README's `npm install`), then
/// the `Containerfile`'s steps as written (a real `npm install` of the
/// package file the target writes); each carries a webhook through the
/// broker to its target, passes its health check, and stops on TERM.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_connectors_unit_and_containerfile_run_as_written_on_a_real_broker() {
    node_red_js();
    let work = TempSpec::new("supervise-connectors");
    let out = example(&work, "examples/high-volume-retail", "broker");
    let rabbit = Rabbit::start(&work.dir, "supervise");
    rabbit.import(&out, VHOST);
    let recorder = Recorder::start();

    let port = free_port();
    let env_file = filled_env(&out, "service/connectors.env", port, connector_value(&recorder, &rabbit));
    let log = work.dir.join("unit.log");
    // The README's `npm install` in `node-red/`, which `.tools/` stands in for.
    let mut child = start_unit(&out, "connectors", &tools().join("node_modules"), &env_file, &log);
    wait_healthy(&mut child, port, &log);
    deliver_order(port, &recorder, "unit-1", &log);
    stop(child, port);

    let image = run_image_steps(&out, &work.dir.join("image"));
    for module in ["node-red", "amqplib"] {
        let path = image.work_dir.join("node_modules").join(module).join("package.json");
        assert!(path.is_file(), "RUN did not install {module}");
    }
    let port = free_port();
    let env_file = filled_env(&out, "service/connectors.env", port, connector_value(&recorder, &rabbit));
    let log = work.dir.join("image.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut child =
        image_command(&image, &image.cmd, &env_file).stdout(file.try_clone().unwrap()).stderr(file).spawn().unwrap();
    wait_healthy(&mut child, port, &log);
    let healthy = image_command(&image, &image.healthcheck, &env_file).output().unwrap();
    assert_eq!(code(&healthy), 0, "{}{}", stdout(&healthy), stderr(&healthy));
    deliver_order(port, &recorder, "image-1", &log);
    assert!(image.work_dir.join("data").is_dir() && image.work_dir.join("context").is_dir());
    stop(child, port);
}
