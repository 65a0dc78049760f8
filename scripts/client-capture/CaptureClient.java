// One HTTPS GET from Java, as an application using the JDK's own clients makes it.
// Usage: java CaptureClient.java (urlconnection|httpclient) URL
// TLS settings come from the command line (-Djdk.tls.client.protocols=..., -Djava.security.properties=...),
// so the program itself is the same for every configuration.
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

public class CaptureClient {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String url = args[1];
        try {
            if (mode.equals("urlconnection")) {
                var connection = new URL(url).openConnection();
                connection.setConnectTimeout(10000);
                connection.setReadTimeout(10000);
                connection.getInputStream().readAllBytes();
            } else if (mode.equals("httpclient")) {
                var client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
                var request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
                client.send(request, HttpResponse.BodyHandlers.ofString());
            } else {
                throw new IllegalArgumentException("unknown mode " + mode);
            }
        } catch (java.io.IOException e) {
            // The capture listener closes the connection after the ClientHello: expected.
            System.err.println(e);
            System.exit(1);
        }
    }
}
