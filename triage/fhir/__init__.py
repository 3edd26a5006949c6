"""The clinic's language: the rule base and its results as HL7 FHIR R4 resources, and CDS Hooks.

Every FHIR resource here is built and validated with ``fhir.resources`` (its R4B models: FHIR
4.3.0, which keeps R4's Questionnaire, QuestionnaireResponse, GuidanceResponse, CodeSystem,
Parameters, OperationOutcome and Bundle as they were) and serialised by it; CDS Hooks JSON,
which is not FHIR, is built with this package's own models (``cds.py``). Importing the FHIR
library takes most of a second, so nothing outside this package imports it at start-up: the
command line, ``cases.py`` and ``formats.py`` import these modules only when FHIR input or
output is used. The knowledge base and the engine never import this package.

- ``canonical``: the URLs the resources and codes are published under;
- ``codes``: the answer codes and the CodeSystems (answers, dispositions, rules);
- ``questionnaire``: the question catalogue as a Questionnaire, whole or screen by screen;
- ``responses``: a QuestionnaireResponse as a case, and a case as a QuestionnaireResponse;
- ``guidance``: a result as a GuidanceResponse, an error as an OperationOutcome;
- ``next_question``: SDC's ``$next-question`` operation;
- ``cds``: the CDS Hooks discovery document and service;
- ``replies``: request bodies read as untrusted input, and replies with a status;
- ``endpoints``: the HTTP-free functions a server mounts, with their methods and paths.
"""
