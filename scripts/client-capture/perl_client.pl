# One HTTPS GET with HTTP::Tiny over IO::Socket::SSL (Net::SSLeay, OpenSSL).
# Usage: perl perl_client.pl (default|tls1.0|tls1.1) URL
# The legacy modes pass SSL_version to IO::Socket::SSL, as code talking to an old server does.
use strict;
use warnings;
use HTTP::Tiny;
use IO::Socket::SSL;

my ($mode, $url) = @ARGV;
my %versions = ('tls1.0' => 'TLSv1', 'tls1.1' => 'TLSv1_1');
my %options = (timeout => 10);
if ($versions{$mode}) {
    $options{SSL_options} = { SSL_version => $versions{$mode} };
} elsif ($mode ne 'default') {
    die "unknown mode $mode\n";
}
my $response = HTTP::Tiny->new(%options)->get($url);
# The capture listener closes the connection after the ClientHello: a failure is expected.
print STDERR "$response->{status} $response->{reason}\n" unless $response->{success};
exit($response->{success} ? 0 : 1);
