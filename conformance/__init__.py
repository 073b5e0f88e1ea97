"""segment-jobs-conformance: the conformance suite for the Segment Jobs API (``/segment/jobs``).

The public API is small: the spec loaders and the version. Everything else lives in private modules
(``_config``, ``_client``, ...) that are not import paths for users.
"""

from conformance._spec import load_openapi, load_requirements, spec_sha256, spec_text

__version__ = "0.1.0"

__all__ = ["__version__", "load_openapi", "load_requirements", "spec_sha256", "spec_text"]
