# Imports inside the guard: the model process (demo/worker.py) starts a fresh interpreter that
# imports this module, and it needs neither Gradio nor a second server.
if __name__ == "__main__":
    from demo.app import main

    main()
