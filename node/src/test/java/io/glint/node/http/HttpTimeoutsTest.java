package io.glint.node.http;

import io.glint.node.auth.NoAuthAuthenticator;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Slow and silent clients do not hold a connection forever (fault matrix #26). */
class HttpTimeoutsTest {
    static HttpServer server;

    @BeforeAll
    static void start() throws Exception {
        HttpOptions d = HttpOptions.defaults("127.0.0.1", 0);
        HttpOptions fast = new HttpOptions(d.bindHost(), 0, 1, 2, 8, d.maxInitialLineBytes(), d.maxHeaderBytes(),
                d.jsonBodyMaxBytes(), d.streamBufferedMaxBytes(), 500, 500, 5_000, 1_000);
        Router r = new Router().add(HttpMethod.POST, "/v2/echo", Route.BodyMode.JSON,
                req -> Response.bytes(HttpResponseStatus.OK, "text/plain", req.body()))
                .add(HttpMethod.PUT, "/v2/refuse", Route.BodyMode.STREAM, req -> {
                    throw ApiException.conflict("refused before reading the body");
                });
        server = new HttpServer(fast, r, new NoAuthAuthenticator("p"), p -> p);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String readAll(Socket s) throws Exception {
        s.setSoTimeout(30_000);
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void aJsonBodyThatStopsArrivingIsAnsweredWith408AndClosed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v2/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 20\r\n\r\n{\"a\":").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String reply = readAll(s);
            assertTrue(reply.startsWith("HTTP/1.1 408"), reply);
            assertTrue(reply.contains("connection: close") || reply.contains("Connection: close"), reply);
        }
    }

    @Test
    void anAnswerSentBeforeTheBodyIsReadSurvivesTheRestOfTheBody() throws Exception {
        // the server answers 409 at once; the client keeps sending its 8 MiB body, then reads:
        // the answer must be there (an abrupt close would reset the connection and lose it)
        byte[] piece = new byte[1 << 20];
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("PUT /v2/refuse HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + (8 * piece.length) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 8; i++) out.write(piece);
            out.flush();
            String reply = readAll(s);
            assertTrue(reply.startsWith("HTTP/1.1 409"), reply);
            assertTrue(reply.contains("refused before reading the body"), reply);
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            assertEquals("", readAll(s), "closed without an answer: no request was started");
        }
    }

    @Test
    void aCompleteRequestStillWorks() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(("POST /v2/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    + "Content-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.ISO_8859_1));
            String reply = readAll(s);
            assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
            assertTrue(reply.endsWith("{}"), reply);
        }
    }
}
