"""The system under test as association requestor: the harness plays the acceptor.

:mod:`.systems` says how each system is made to connect, :mod:`.launch` starts the ones
the harness knows, :mod:`.acceptor` plays a scripted acceptor against one system run.
"""
