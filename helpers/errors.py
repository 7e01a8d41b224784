"""Exceptions raised by `helpers`; each message says what was asked, what exists, what to do.

Every class also derives from the builtin a caller would naturally catch (`KeyError` for a missing
beam, group or variable, `ValueError` for a bad argument, `LookupError` for an empty search ...),
so generic ``except`` clauses keep working. `HelpersError` catches them all.

Examples
--------
>>> from helpers.errors import BeamNotFoundError
>>> err = BeamNotFoundError("beam 'gt9x' not found; the file has gt1l, gt1r")
>>> isinstance(err, KeyError), str(err)
(True, "beam 'gt9x' not found; the file has gt1l, gt1r")
"""

from __future__ import annotations

__all__ = [
    "BeamNotFoundError",
    "EmptySearchResultError",
    "HelpersError",
    "NotHDF5Error",
    "NotLoggedInError",
    "S3CredentialsError",
    "SpacecraftOrientationError",
    "VariableNotFoundError",
]


class HelpersError(Exception):
    """Base class of every error raised by `helpers`.

    Examples
    --------
    >>> issubclass(NotHDF5Error, HelpersError)
    True
    """

    def __str__(self) -> str:
        # KeyError.__str__ would wrap the message in quotes; show the plain sentence instead.
        return str(self.args[0]) if self.args else ""


class NotLoggedInError(HelpersError, RuntimeError):
    """There is no Earthdata Login session: ``earthaccess.login()`` did not log in.

    Raised by `helpers.login_status`; its message says what to set and where to test a password.

    Examples
    --------
    >>> str(NotLoggedInError("log in first"))
    'log in first'
    """


class S3CredentialsError(HelpersError, PermissionError):
    """Temporary S3 credentials could not be obtained from a DAAC.

    Examples
    --------
    >>> issubclass(S3CredentialsError, PermissionError)
    True
    """


class EmptySearchResultError(HelpersError, LookupError):
    """A search returned no granules.

    Examples
    --------
    >>> issubclass(EmptySearchResultError, LookupError)
    True
    """


class BeamNotFoundError(HelpersError, KeyError):
    """An ICESat-2 beam group (gt1l ... gt3r) that is not in the file.

    Examples
    --------
    >>> issubclass(BeamNotFoundError, KeyError)
    True
    """


class VariableNotFoundError(HelpersError, KeyError):
    """An HDF5 dataset (variable) that is not in the group.

    Examples
    --------
    >>> issubclass(VariableNotFoundError, KeyError)
    True
    """


class NotHDF5Error(HelpersError, ValueError, OSError):
    """The bytes given are not an HDF5 (or netCDF-4) file.

    It is also an `OSError`, as h5py's own error for this case is.

    Examples
    --------
    >>> issubclass(NotHDF5Error, OSError) and issubclass(NotHDF5Error, ValueError)
    True
    """


class SpacecraftOrientationError(HelpersError, ValueError):
    """ICESat-2 was in a yaw transition, so strong and weak beams are not fixed in the granule.

    Examples
    --------
    >>> issubclass(SpacecraftOrientationError, ValueError)
    True
    """
