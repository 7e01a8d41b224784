"""helpers.season: no automatic cyclic garbage collection while a task reads a remote HDF5 file
(h5py/h5py#2019: a collection on fsspec's thread that frees an h5py object deadlocks)."""

from __future__ import annotations

import gc
import threading

from helpers import season


def test_gc_is_off_while_any_reader_is_inside_and_on_again_after() -> None:
    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other_reader() -> None:
        with season._without_cyclic_gc():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_reader)
    with season._without_cyclic_gc():
        assert not gc.isenabled()
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other reader is still inside
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_gc_comes_back_after_an_error_and_stays_off_if_it_was_off() -> None:
    try:
        with season._without_cyclic_gc():
            raise OSError("503")
    except OSError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with season._without_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
