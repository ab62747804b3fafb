/*
 * GET /api/recordings/REC/export?format=asciicast|text|json: a whole
 * recording as a file.  asciicast and text are tlog-play's exports
 * (play/export.h) read from Elasticsearch through lib/src.h, json is the
 * messages, one per line; each format holds only the messages the rules
 * let the auditor export (a rule's days leave the older ones out), and
 * typed input stays out without the input right.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "export.h"
#include "recs.h"
#include "src.h"

/* Largest export answered; longer recordings are for tlog-play */
#define API_EXPORT_MAX (256 << 20)

/* Drop the input events ("i") of the asciicast in text, in place */
static size_t
drop_input(char *text, size_t len)
{
    size_t in = 0, out = 0;
    bool header = true;

    while (in < len) {
        char *nl = memchr(text + in, '\n', len - in);
        size_t n = nl ? (size_t)(nl - (text + in)) + 1 : len - in;
        bool keep = true;

        if (!header) {
            struct json_tokener *tok = json_tokener_new();
            struct json_object *ev = tok ? json_tokener_parse_ex(tok,
                                                 text + in, (int)n) : NULL;
            const char *type = ev && json_object_is_type(ev,
                                   json_type_array) ?
                json_object_get_string(json_object_array_get_idx(ev, 1)) :
                NULL;

            keep = type == NULL || strcmp(type, "i") != 0;
            json_object_put(ev);
            json_tokener_free(tok);
        }
        header = false;
        if (keep) {
            memmove(text + out, text + in, n);
            out += n;
        }
        in += n;
    }
    return out;
}

/* The recording through tlog-play's export of kind, into out: the
 * messages of it that filter lets through, as for every other format */
static int
export_src(struct call *c, const char *rec, const char *host,
           struct json_object *filter, bool asciicast, FILE *out, char *err,
           size_t errsz)
{
    struct src_conf sc = { .kind = SRC_ES, .lax = true };
    struct src *src = NULL;
    char query[1024], h[600];
    size_t i, n = 0;
    int rc;

    /* host comes from the store: quoted for the query string */
    for (i = 0; host[i] != 0 && n + 2 < sizeof(h); i++) {
        if (host[i] == '"' || host[i] == '\\') {
            h[n++] = '\\';
        }
        h[n++] = host[i];
    }
    h[n] = 0;
    snprintf(query, sizeof(query), "rec:\"%s\" AND host:\"%s\"", rec, h);
    sc.es.baseurl = c->s->conf.es_search;
    sc.es.query = query;
    sc.es.filter = json_object_to_json_string_ext(filter,
                                                  JSON_C_TO_STRING_PLAIN);
    rc = src_open(&sc, &src, err, errsz);
    if (rc < 0) {
        return rc;
    }
    rc = asciicast ? export_asciicast(src, out, err, errsz) :
         export_text(src, out, err, errsz);
    src_free(src);
    return rc;
}

/* The messages of rec, one per line, into out */
static int
export_json(struct call *c, const char *rec, struct json_object *filter,
            bool with_input, FILE *out, char *err, size_t errsz)
{
    long long from = 1;
    size_t i, n;
    int rc;

    do {
        struct json_object *a = NULL, *msgs, *m, *id;

        rc = recs_messages(c->s->conf.store, filter, rec, from,
                           RECS_MESSAGES_MAX, with_input, &a, err, errsz);
        if (rc < 0) {
            return rc;
        }
        json_object_object_get_ex(a, "messages", &msgs);
        n = json_object_array_length(msgs);
        for (i = 0; i < n; i++) {
            m = json_object_array_get_idx(msgs, i);
            fprintf(out, "%s\n", json_object_to_json_string_ext(m,
                    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
            if (json_object_object_get_ex(m, "id", &id)) {
                from = json_object_get_int64(id) + 1;
            }
        }
        json_object_put(a);
    } while (n == RECS_MESSAGES_MAX && ftell(out) < API_EXPORT_MAX);
    return 0;
}

enum MHD_Result
api_export(struct call *c, const char *rec)
{
    static const char *const names[] = { "format", "host", NULL };
    static const char *const types[] = {
        "application/x-asciicast", "text/plain; charset=utf-8",
        "application/x-ndjson"
    };
    static const char *const exts[] = { "cast", "txt", "json" };
    struct json_object *filter, *input, *facts = NULL, *o;
    const char *format, *host;
    struct MHD_Response *r;
    struct call_query p;
    enum MHD_Result ret;
    char err[512], disp[256], *text = NULL;
    size_t len = 0;
    FILE *out;
    int rc, kind, with_input;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: format, host");
    }
    format = p.values[0] ? p.values[0] : "asciicast";
    for (kind = 0; kind < 3 && strcmp(format, kind == 0 ? "asciicast" :
                                      kind == 1 ? "text" : "json"); kind++) {
    }
    if (kind == 3) {
        return call_bad_request(c, "parameter \"format\" is not known",
                                "give asciicast, text or json");
    }
    if (!(rules_rights(c->s->conf.rules, c->sess.user, c->sess.groups) &
          RULES_EXPORT)) {
        call_record(c, NULL, "export", rec, p.text, "denied");
        return call_error(c, MHD_HTTP_FORBIDDEN, "exporting a recording"
                          " needs the \"export\" right, which no rule gives"
                          " you: play it instead", 0);
    }
    filter = api_visible(c, RULES_EXPORT, p.values[1]);
    rc = recs_get(c->s->conf.store, filter, rec, &facts, err, sizeof(err));
    if (rc == -ENOENT) {
        json_object_put(filter);
        call_record(c, NULL, "export", rec, p.text, "not-found");
        return call_no_recording(c);
    }
    if (rc < 0) {
        json_object_put(filter);
        return call_store_failed(c, "export", rec, err);
    }
    host = json_object_object_get_ex(facts, "host", &o) ?
           json_object_get_string(o) : "";
    /* from here on, this recording on this host only */
    json_object_put(filter);
    filter = api_visible(c, RULES_EXPORT, host);
    input = api_visible(c, RULES_EXPORT | RULES_INPUT, host);
    with_input = recs_visible(c->s->conf.store, input, rec, err,
                              sizeof(err));
    json_object_put(input);
    out = open_memstream(&text, &len);
    if (with_input < 0 || out == NULL) {
        rc = with_input < 0 ? with_input : -ENOMEM;
    } else if (kind == 2) {
        rc = export_json(c, rec, filter, with_input > 0, out, err,
                         sizeof(err));
    } else {
        rc = export_src(c, rec, host, filter, kind == 0, out, err,
                        sizeof(err));
    }
    if (out != NULL) {
        fclose(out);
    }
    json_object_put(filter);
    json_object_put(facts);
    if (rc < 0) {
        free(text);
        return call_store_failed(c, "export", rec, err);
    }
    if (len > API_EXPORT_MAX) {
        free(text);
        call_record(c, NULL, "export", rec, p.text, "too-large");
        return call_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the recording is"
                          " too large to export here: export it with"
                          " tlog-play --export from Elasticsearch", 0);
    }
    if (kind == 0 && with_input == 0) {
        len = drop_input(text, len);
    }
    r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    call_headers(c, r, types[kind]);
    /* ids hold letters, digits and -_.: only (request_rec_id()) */
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s.%s\"", rec,
             exts[kind]);
    MHD_add_response_header(r, "Content-Disposition", disp);
    call_record(c, NULL, "export", rec, p.text, "ok");
    ret = MHD_queue_response(c->con, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}
