"""The audit log's pages and API: the events a person's units may read, filtered, paged,
exported (CSV streamed, XLSX at once or by a worker), in words (words.py names each event's
object and says its data as a sentence, one query per kind of object). They read every room's
events through govern's scope, so they stand on the top floor; the trail itself is audit/, which
imports nothing.

May import audit, govern and every room below console.
"""
