"""One HTTPS GET with Python 2's urllib2, as a Python 2 program makes it. Usage: python2_client.py URL"""
import sys
import urllib2

try:
    urllib2.urlopen(sys.argv[1], timeout=10).read()
except Exception as error:  # the capture listener closes the connection: expected
    sys.stderr.write("%s %s\n" % (type(error).__name__, error))
    sys.exit(1)
