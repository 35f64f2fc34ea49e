/**
 * What each forge accepts (no SDK imported here: config validation reads these at startup).
 *
 * GitHub: a pull-request body over 65,536 characters is refused with 422 "body is too long
 * (maximum is 65536 characters)" (the API's validation message; not in the REST reference); a
 * label name over 50 characters with 422 "name is too long (maximum is 50 characters)".
 *
 * GitLab: "description: 1 megabyte" for merge requests and other issuables (docs.gitlab.com,
 * development/issuable-like-models, "Important text fields"; raised to 1,048,576 in
 * gitlab-org/gitlab!18605, API docs in !18617); a longer one is refused with 400 "is too long
 * (maximum is 1048576 characters)". Label titles are at most 255 characters; the API takes
 * label lists comma-separated, so a label cannot hold a comma.
 */
export const GITHUB_BODY_LIMIT = 65_536;
export const GITHUB_LABEL_LIMIT = 50;
export const GITLAB_BODY_LIMIT = 1_048_576;
export const GITLAB_LABEL_LIMIT = 255;
