# SPDX-License-Identifier: MIT
"""What every Python class around a C++ object (``_core``) shares, written once: read-only
properties forwarded to it, and snapshots, pickling and copying through the C++ snapshot
format (docs/semantics.md#snapshots), so that a copy or an unpickled object continues exactly
where the original would have."""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar, overload

__all__ = ["SelfDescribingSnapshots", "Snapshots", "core_property"]

_T = TypeVar("_T")


class core_property(Generic[_T]):  # noqa: N801 (used like `property`)
    """A read-only attribute returning ``convert(self._core.<name>)``, typed as ``convert``'s
    result for type checkers."""

    def __init__(self, name: str, convert: Callable[[Any], _T], doc: str | None = None) -> None:
        self._name = name
        self._convert = convert
        self.__doc__ = doc

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> core_property[_T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...
    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return self._convert(getattr(obj._core, self._name))  # type: ignore[attr-defined]

    def __set__(self, obj: object, value: object) -> None:
        msg = f"{self._name} is read-only"
        raise AttributeError(msg)


_STATE_FORMAT = 1  # the layout of __getstate__'s dict; the snapshot inside is versioned by the core


class Snapshots:
    """``snapshot``/``restore``, pickling and copying of a class whose C++ object is ``_core``.

    Pickles are ``{"format": 1, "snapshot": bytes, **_pickle_extras()}``; a subclass rebuilds
    its ``_core`` from such a dict in :meth:`_load_state`.
    """

    __slots__ = ()
    _core: Any

    def snapshot(self) -> bytes:
        """The whole state and the options, in streamcp's versioned snapshot format."""
        return self._core.snapshot()

    def restore(self, data: bytes) -> None:
        """Replaces the state with ``data`` (from :meth:`snapshot`).

        Raises ``ValueError``, changing nothing, when the snapshot is damaged, foreign or
        was taken with other options.
        """
        self._core.restore(bytes(data))

    def _pickle_extras(self) -> dict[str, Any]:
        return {}

    def _load_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        return {"format": _STATE_FORMAT, **self._pickle_extras(), "snapshot": self._core.snapshot()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("format") != _STATE_FORMAT:
            msg = f"cannot unpickle a {type(self).__name__} of state format {state.get('format')!r}"
            raise ValueError(msg)
        self._load_state(state)

    def __copy__(self) -> Any:
        return self.__deepcopy__({})

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        other = type(self).__new__(type(self))
        other.__setstate__(self.__getstate__())
        return other


class SelfDescribingSnapshots(Snapshots):
    """:class:`Snapshots` for a class whose snapshot records its options: ``_core_type``
    rebuilds the C++ object from the snapshot alone."""

    __slots__ = ()
    _core_type: Any

    @classmethod
    def from_snapshot(cls, data: bytes) -> Any:
        """An object rebuilt from a snapshot, with the options it records."""
        self = cls.__new__(cls)
        self._core = cls._core_type.from_snapshot(bytes(data))
        return self

    def _load_state(self, state: dict[str, Any]) -> None:
        self._core = self._core_type.from_snapshot(state["snapshot"])
