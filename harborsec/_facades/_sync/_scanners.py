# Generated from harborsec/_facades/_async/_scanners.py by scripts/unasync.py; do not edit.
"""Scanner facades: the registrations (`registry.scanners`) and a project's scanner."""

from __future__ import annotations

import builtins

from harborsec._core._runner import Runner
from harborsec._facades._base import Facade, ProjectFacade
from harborsec.harbor._scanners import (
    Scanner,
    ScannerAuth,
    ScannerMetadata,
    delete_scanner,
    get_project_scanner,
    get_scanner,
    list_scanners,
    ping_scanner,
    register_scanner,
    scanner_candidates,
    scanner_metadata,
    set_default_scanner,
    set_project_scanner,
    update_scanner,
)

__all__ = ["ProjectScanner", "Scanners"]


class Scanners(Facade[Runner]):
    """The scanner registrations of a Harbor instance: `registry.scanners` (system admin)."""

    def list(self) -> builtins.list[Scanner]:
        """Every scanner registration (all pages)."""
        return self._runner.run(list_scanners(self._runner.url))

    def get(self, uuid: str) -> Scanner:
        """One registration.

        Raises:
            NotFoundError: There is no such registration.
        """
        return self._runner.run(get_scanner(self._runner.url, uuid))

    def register(
        self,
        name: str,
        url: str,
        *,
        auth: ScannerAuth | str = ScannerAuth.NONE,
        credential: str | None = None,
        description: str = "",
        skip_cert_verify: bool = False,
        use_internal_address: bool = False,
        disabled: bool = False,
    ) -> Scanner:
        """Register a scanner adapter; Harbor checks it can reach it first.

        The first registration becomes the default.

        Args:
            name: A unique name (`Trivy` is reserved).
            url: The adapter's base URL, `http://` or `https://`.
            auth: `NONE`, `BASIC`, `BEARER` or `API_KEY` (or their names).
            credential: Required with an auth type: `user:password` for Basic, the raw token
                or key otherwise.
            description: Free text.
            skip_cert_verify: Do not verify the adapter's TLS certificate.
            use_internal_address: The adapter pulls through Harbor's internal address.
            disabled: Register it disabled.

        Returns:
            The registration, as Harbor now has it.

        Raises:
            InvalidPolicyError: A setting is invalid; nothing is sent.
            ConflictError: The name or URL is registered already.
        """
        op = register_scanner(
            self._runner.url,
            name,
            url,
            auth=auth,
            credential=credential,
            description=description,
            skip_cert_verify=skip_cert_verify,
            use_internal_address=use_internal_address,
            disabled=disabled,
        )
        return self._runner.run(op)

    def update(
        self,
        uuid: str,
        *,
        name: str | None = None,
        url: str | None = None,
        auth: ScannerAuth | str | None = None,
        credential: str | None = None,
        description: str | None = None,
        skip_cert_verify: bool | None = None,
        use_internal_address: bool | None = None,
        disabled: bool | None = None,
    ) -> Scanner:
        """Change the given settings of a registration; the others are kept.

        Harbor replaces a registration as a whole, so it is read first and sent back with the
        changes. Without `credential`, the stored one is kept, unless `auth` changes (then a
        new credential is required).

        Args:
            uuid: The registration.
            name: A new name.
            url: A new adapter URL.
            auth: A new auth type.
            credential: A new credential.
            description: A new description.
            skip_cert_verify: Change TLS verification.
            use_internal_address: Change how the adapter pulls.
            disabled: Disable or enable it.

        Returns:
            The registration, as Harbor now has it.

        Raises:
            InvalidPolicyError: A setting is invalid; nothing is sent.
            ForbiddenError: The registration is Harbor's built-in one.
        """
        op = update_scanner(
            self._runner.url,
            uuid,
            name=name,
            url=url,
            auth=auth,
            credential=credential,
            description=description,
            skip_cert_verify=skip_cert_verify,
            use_internal_address=use_internal_address,
            disabled=disabled,
        )
        return self._runner.run(op)

    def ping(
        self,
        url: str,
        *,
        auth: ScannerAuth | str = ScannerAuth.NONE,
        credential: str | None = None,
        name: str = "harborsec-ping",
    ) -> None:
        """Check that Harbor can reach an adapter with these settings (nothing is saved).

        Raises:
            InvalidPolicyError: A setting is invalid; nothing is sent.
            APIError: Harbor could not reach or use the adapter.
        """
        op = ping_scanner(self._runner.url, url, auth=auth, credential=credential, name=name)
        return self._runner.run(op)

    def set_default(self, uuid: str) -> None:
        """Make a registration the system default scanner."""
        return self._runner.run(set_default_scanner(self._runner.url, uuid))

    def delete(self, uuid: str) -> Scanner:
        """Delete a registration; returns it as it was.

        Raises:
            NotFoundError: There is no such registration.
            ForbiddenError: It is Harbor's built-in registration.
        """
        return self._runner.run(delete_scanner(self._runner.url, uuid))

    def metadata(self, uuid: str) -> ScannerMetadata:
        """What the registration's adapter says about itself (name, version, capabilities)."""
        return self._runner.run(scanner_metadata(self._runner.url, uuid))


class ProjectScanner(ProjectFacade[Runner]):
    """The scanner one project uses: `project.scanner`."""

    def get(self) -> Scanner | None:
        """The project's scanner: its own, else the system default; None if there is none."""
        return self._runner.run(get_project_scanner(self._runner.url, self.project))

    def set(self, scanner: Scanner | str) -> None:
        """Make the project use a scanner (project admin).

        Args:
            scanner: A `Scanner`, a registration UUID, or a registration name.

        Raises:
            NotFoundError: No registration the project can use has that UUID or name; Harbor
                itself would save any UUID and silently ignore it later.
        """
        op = set_project_scanner(self._runner.url, self.project, scanner)
        return self._runner.run(op)

    def candidates(self) -> builtins.list[Scanner]:
        """The registrations the project may use (all pages)."""
        return self._runner.run(scanner_candidates(self._runner.url, self.project))
