import json
import subprocess
import sys

import pytest

from ltrr.errors import StateError
from ltrr.state import StateDir, safe_name


def test_second_writer_gets_clear_error(tmp_path):
    first = StateDir.open(tmp_path / "s")
    try:
        code = (
            "import sys\nfrom ltrr.state import StateDir\nfrom ltrr.errors import StateError\n"
            f"try:\n    StateDir.open({str(tmp_path / 's')!r})\nexcept StateError as e:\n    print('LOCKED', e); sys.exit(3)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 3, out.stderr
        assert "in use by another process" in out.stdout
    finally:
        first.close()
    StateDir.open(tmp_path / "s").close()  # free again after close


def test_read_only_open_does_not_need_the_lock(tmp_path):
    writer = StateDir.open(tmp_path / "s")
    try:
        reader = StateDir.open(tmp_path / "s", read_only=True)
        assert reader.read_only
    finally:
        writer.close()


def test_unknown_format_is_refused(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "state.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(StateError, match="format 99"):
        StateDir.open(tmp_path / "s")


def test_corrupt_meta_is_refused(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "state.json").write_text("{not json")
    with pytest.raises(StateError, match="corrupt"):
        StateDir.open(tmp_path / "s")


def test_log_without_meta_is_an_older_state(tmp_path):
    (tmp_path / "s" / "log").mkdir(parents=True)
    (tmp_path / "s" / "log" / "events.jsonl").write_text("")
    with pytest.raises(StateError, match="older"):
        StateDir.open(tmp_path / "s")


@pytest.mark.parametrize("bad", ["..", "../x", "/etc/passwd", "a/b", "", ".hidden", "x" * 65, "a\x00b"])
def test_safe_name_rejects_paths(bad):
    with pytest.raises(StateError):
        safe_name(bad)


def test_snapshot_and_clear(tmp_path):
    state = StateDir.open(tmp_path / "s")
    state.log_path.write_text('{"kind": "search"}\n')
    snap = state.snapshot("before")
    assert (snap / "log" / "events.jsonl").read_text() == '{"kind": "search"}\n'
    with pytest.raises(StateError, match="exists"):
        state.snapshot("before")
    moved = state.clear()
    assert not state.log_path.exists() or state.log_path.read_text() == ""
    assert (moved / "log" / "events.jsonl").exists()
    state.close()


def test_a_snapshot_skips_temp_files_and_files_gone_while_it_copies(tmp_path, monkeypatch):
    import shutil as real_shutil

    import ltrr.state as state_module
    state = StateDir.open(tmp_path / "s")
    state.log_path.write_text('{"kind": "search"}\n')
    (state.ranker_dir / "ranker.json").write_text("{}")
    (state.ranker_dir / "ranker.json.tmp").write_text("{half")      # a write in progress
    (state.ranker_dir / "model-0001.txt").write_text("model")
    real_copy = real_shutil.copy2

    def racing_copy(src, dst, **kw):
        # The trainer prunes this model between the listing and its copy.
        if str(src).endswith("model-0001.txt"):
            (state.ranker_dir / "model-0001.txt").unlink()
        return real_copy(src, dst, **kw)
    monkeypatch.setattr(state_module.shutil, "copy2", racing_copy)
    snap = state.snapshot("busy")
    assert sorted(p.name for p in (snap / "ranker").iterdir()) == ["ranker.json"]
    assert (snap / "log" / "events.jsonl").read_text() == '{"kind": "search"}\n'
    state.close()


def test_a_snapshot_that_fails_leaves_nothing_half_written(tmp_path, monkeypatch):
    import ltrr.state as state_module
    state = StateDir.open(tmp_path / "s")
    state.log_path.write_text('{"kind": "search"}\n')

    def broken_copy(src, dst, **kw):
        raise PermissionError(f"cannot read {src}")
    monkeypatch.setattr(state_module.shutil, "copy2", broken_copy)
    with pytest.raises(Exception, match="cannot read"):
        state.snapshot("broken")
    assert not (state.path / "snapshots" / "broken").exists()
    assert state.log_path.read_text() == '{"kind": "search"}\n'
    state.close()
